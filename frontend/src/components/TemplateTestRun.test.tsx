import { fireEvent, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { parseSeedText } from "../api/testRuns";
import { json, renderApp } from "../test/helpers";

const listing = { templates: [] };
const samples = { datasets: [{ name: "poetry", key: "sample-datasets/poetry/poems.jsonl", size_bytes: 1000 }] };
const YAML = "name: Mine\nsteps:\n  - id: ask\n    model_tier: tier-1\n    prompt: Ask about {{ poem.title }}\n  - id: answer\n    model_tier: tier-2\n    prompt: 'Answer: {{ steps.ask.output }}'\n";

function step(step_id: string, prompt: string, output: string, extra: Record<string, unknown> = {}) {
  return { step_id, model_id: "llama-3.1-8b", answered_by: "local-endpoint", prompt, output, input_tokens: 4, output_tokens: 9, cost_usd: 0, error: null, ...extra };
}

const result = {
  template_id: "test-run",
  template_version: 1,
  model: "local",
  answered_by: "local-endpoint",
  max_cost_usd: 0,
  seeds: [
    { seed_index: 0, seed: { poem: { title: "Rain" } }, error: null, steps: [step("ask", "Ask about Rain", "Why rain?"), step("answer", "Answer: Why rain?", "Clouds.")] },
    {
      seed_index: 1,
      seed: {},
      error: "step 'ask': 'poem' is undefined",
      steps: [step("ask", "", "", { prompt: null, output: null, input_tokens: 0, output_tokens: 0, error: "step 'ask': 'poem' is undefined" })],
    },
  ],
  totals: { calls: 2, input_tokens: 8, output_tokens: 18, cost_usd: 0, errors: 1 },
};

async function openEditor(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByRole("button", { name: "New template" }));
  await user.click(await screen.findByRole("button", { name: "Edit as plain text" }));
  fireEvent.change(screen.getByLabelText("Template YAML"), { target: { value: YAML } });
}

describe("template test run", () => {
  it("runs the unsaved template on sample records and shows each step's prompt and output", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/templates", { "GET /templates": listing, "GET /sample-datasets": samples, "POST /templates/test-run": result });
    await openEditor(user);
    const panel = await screen.findByTestId("test-run-panel");
    await within(panel).findByRole("option", { name: "poetry" });
    await user.selectOptions(within(panel).getByLabelText("Records"), "2");
    await user.click(within(panel).getByRole("button", { name: "Run test" }));

    const output = await screen.findByTestId("test-run-result");
    expect(requests.find((r) => r.path === "/templates/test-run")?.body).toEqual({
      template: { name: "Mine", steps: [{ id: "ask", model_tier: "tier-1", prompt: "Ask about {{ poem.title }}" }, { id: "answer", model_tier: "tier-2", prompt: "Answer: {{ steps.ask.output }}" }] },
      model: "local",
      sample_dataset: "poetry",
      count: 2,
    });
    expect(within(output).getByTestId("test-run-summary")).toHaveTextContent("the local model endpoint (free)");
    expect(within(output).getByTestId("test-run-summary")).toHaveTextContent("2 calls");
    const prompts = within(output).getAllByTestId("test-run-prompt").map((p) => p.textContent);
    expect(prompts).toEqual(["Ask about Rain", "Answer: Why rain?"]);
    expect(within(output).getAllByTestId("test-run-output").map((p) => p.textContent)).toEqual(["Why rain?", "Clouds."]);
    expect(within(output).getByTestId("test-run-step-error")).toHaveTextContent("step 'ask': 'poem' is undefined");
    expect(within(output).getAllByTestId("test-run-step")[0]).toHaveTextContent("llama-3.1-8b · 4 in · 9 out · $0.00");
  });

  it("sends typed seed JSON and the chosen model, and shows a refusal", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/templates", {
      "GET /templates": listing,
      "GET /sample-datasets": samples,
      "POST /templates/test-run": json({ message: "this test run could cost up to $0.9000" }, 400),
    });
    await openEditor(user);
    const panel = await screen.findByTestId("test-run-panel");
    await user.click(within(panel).getByLabelText("Seed JSON"));
    fireEvent.change(within(panel).getByLabelText(/Seed records/), { target: { value: '{"poem": {"title": "A"}}\n{"poem": {"title": "B"}}' } });
    await user.selectOptions(within(panel).getByLabelText("Model"), "tier-3");
    await user.click(within(panel).getByRole("button", { name: "Run test" }));
    expect(await screen.findByTestId("test-run-error")).toHaveTextContent("could cost up to $0.9000");
    const body = requests.find((r) => r.path === "/templates/test-run")?.body as Record<string, unknown>;
    expect(body.seeds).toEqual([{ poem: { title: "A" } }, { poem: { title: "B" } }]);
    expect(body.model).toBe("tier-3");
  });

  it("refuses more than five typed records without calling the API", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/templates", { "GET /templates": listing, "GET /sample-datasets": samples });
    await openEditor(user);
    const panel = await screen.findByTestId("test-run-panel");
    await user.click(within(panel).getByLabelText("Seed JSON"));
    fireEvent.change(within(panel).getByLabelText(/Seed records/), { target: { value: JSON.stringify(Array(6).fill({ a: 1 })) } });
    await user.click(within(panel).getByRole("button", { name: "Run test" }));
    expect(await within(panel).findByText(/at most 5 seed records; you gave 6/)).toBeInTheDocument();
    expect(requests.some((r) => r.path === "/templates/test-run")).toBe(false);
  });

  it("parses seed text as an object, an array or JSON Lines", () => {
    expect(parseSeedText('{"a": 1}')).toEqual({ ok: true, records: [{ a: 1 }] });
    expect(parseSeedText('[{"a": 1}, {"a": 2}]')).toEqual({ ok: true, records: [{ a: 1 }, { a: 2 }] });
    expect(parseSeedText('{"a": 1}\n\n{"a": 2}\n')).toEqual({ ok: true, records: [{ a: 1 }, { a: 2 }] });
    expect(parseSeedText('{"a": 1}\nnope')).toMatchObject({ ok: false, message: expect.stringContaining("Line 2 is not valid JSON") });
    expect(parseSeedText("[1]")).toEqual({ ok: false, message: "Every seed record must be a JSON object." });
    expect(parseSeedText("  ")).toEqual({ ok: false, message: "Give at least one seed record." });
  });
});
