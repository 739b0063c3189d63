import { describe, expect, it } from "vitest";
import { lookup, renderPreview } from "./preview";

const seed = {
  author: { name: "Emily Dickinson", years: [1830, 1886] },
  poem: { title: "Hope", lines: 12 },
  category: "lyric",
};

describe("renderPreview", () => {
  it("substitutes dotted seed paths", () => {
    const result = renderPreview('Ask about the {{ category }} "{{ poem.title }}" by {{author.name}}.', seed);
    expect(result.text).toBe('Ask about the lyric "Hope" by Emily Dickinson.');
    expect(result.missing).toEqual([]);
  });

  it("ignores filters but keeps the value", () => {
    expect(renderPreview("{{ poem.title | upper }} / {{ author.name | truncate_tokens(200) }}", seed).text).toBe(
      "Hope / Emily Dickinson",
    );
  });

  it("shows non-strings as JSON and supports indexes", () => {
    expect(renderPreview("{{ poem.lines }} {{ author.years }} {{ author.years[0] }}", seed).text).toBe("12 [1830,1886] 1830");
  });

  it("marks and lists missing fields once", () => {
    const result = renderPreview("{{ author.born }} and {{ author.born }} and {{ nothing }}", seed);
    expect(result.text).toBe("[missing: author.born] and [missing: author.born] and [missing: nothing]");
    expect(result.missing).toEqual(["author.born", "nothing"]);
  });

  it("stands in for earlier steps' outputs", () => {
    expect(renderPreview("Q: {{ steps.question.output }}", seed).text).toBe("Q: [output of step question]");
    expect(renderPreview("Q: {{ steps.question.output }}", seed, { question: "Why?" }).text).toBe("Q: Why?");
  });

  it("leaves what it cannot evaluate as written", () => {
    const prompt = "{% if poem %}{{ poem.title ~ '!' }}{% endif %} {{ 1 + 2 }}";
    const result = renderPreview(prompt, seed);
    expect(result.text).toBe("{% if poem %}{{ poem.title ~ '!' }}{% endif %} {{ 1 + 2 }}");
    expect(result.unsupported).toEqual(["poem.title ~ '!'", "1 + 2"]);
  });

  it("applies Jinja's whitespace control and keeps other whitespace", () => {
    expect(renderPreview("A\n{{- poem.title -}}\nB", seed).text).toBe("AHopeB");
    expect(renderPreview("A\n  {{ poem.title -}}  \nB", seed).text).toBe("A\n  HopeB");
    expect(renderPreview("A\n{{ poem.title }}\nB", seed).text).toBe("A\nHope\nB");
    expect(renderPreview("{{ poem.title }} {{- category }}", seed).text).toBe("Hopelyric");
  });
});

describe("lookup", () => {
  it("walks objects and stops at anything else", () => {
    expect(lookup(seed, "author.name")).toBe("Emily Dickinson");
    expect(lookup(seed, "category.length")).toBeUndefined();
    expect(lookup(null, "a")).toBeUndefined();
  });
});
