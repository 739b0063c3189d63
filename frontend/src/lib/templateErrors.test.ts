import { describe, expect, it } from "vitest";
import { locateError, stepBlocks } from "./templateErrors";

const yaml = [
  "name: Haiku and critique", // 1
  "steps:", // 2
  "  - id: haiku", // 3
  "    model_tier: tier-1", // 4
  "    prompt: |", // 5
  "      Write a haiku about {{ poem.title }}.", // 6
  "      Mind the {{ x.__mro__ }}.", // 7
  "  - id: critique", // 8
  "    model: anthropic.claude", // 9
  '    prompt: "Critique {{ steps.haiku.output.__class__ }}"', // 10
  "output:", // 11
  "  text: steps.haiku.output", // 12
].join("\n");

describe("locateError", () => {
  it("maps a line of a block-scalar prompt to the editor line", () => {
    expect(locateError("step 'haiku': attribute '__mro__' is not allowed (line 2)", yaml)).toEqual({ line: 7, stepId: "haiku" });
    expect(locateError("step 'haiku': attribute '__mro__' is not allowed (line 1)", yaml)).toEqual({ line: 6, stepId: "haiku" });
  });

  it("maps an inline prompt to its own line", () => {
    expect(locateError("step 'critique': attribute '__class__' is not allowed (line 1)", yaml)).toEqual({ line: 10, stepId: "critique" });
  });

  it("reads Jinja syntax errors' 'at line N'", () => {
    expect(locateError("step 'haiku': unexpected '}' at line 2", yaml)).toEqual({ line: 7, stepId: "haiku" });
  });

  it("points at the step when the message has no line", () => {
    expect(locateError("step 'critique' reads step 'haiku', which runs after it", yaml)).toEqual({ line: 8, stepId: "critique" });
    expect(locateError("steps.1.model_tier: Field required", yaml)).toEqual({ line: 8, stepId: "critique" });
  });

  it("finds nothing for messages about no step, or a step that is not there", () => {
    expect(locateError("name: Field required", yaml)).toBeNull();
    expect(locateError("step 'missing': attribute 'x' is not allowed (line 1)", yaml)).toBeNull();
  });

  it("finds steps whose id is not the first key", () => {
    const text = "name: t\nsteps:\n- model_tier: tier-1\n  prompt: >-\n    a\n    {{ b.__x__ }}\n  id: 'only'\n";
    expect(stepBlocks(text.split("\n")).map((b) => b.id)).toEqual(["only"]);
    expect(locateError("step 'only': attribute '__x__' is not allowed (line 2)", text)).toEqual({ line: 6, stepId: "only" });
  });
});
