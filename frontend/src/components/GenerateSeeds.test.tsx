import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { json, renderApp, type RecordedRequest } from "../test/helpers";

const KEY = "seed-data/u/generated/abc.jsonl";
const preview = [
  { poem: { title: "Rain" }, author: { name: "Ann" } },
  { poem: { title: "Sun" }, author: { name: "Bo" } },
];

function routes(overrides: Record<string, unknown> = {}) {
  return {
    "GET /sample-datasets": { datasets: [{ name: "poetry", key: "sample-datasets/poetry/poems.jsonl", size_bytes: 3686 }] },
    "GET /templates": { templates: [{ template_id: "poem-questions", name: "Poem questions and answers", latest_version: 1, owner: "builtin", updated_at: "" }] },
    "GET /templates/:id/versions": { template_id: "poem-questions", versions: [{ version: 1, name: "Poem questions and answers" }] },
    "GET /templates/:id": {
      template_id: "poem-questions",
      version: 1,
      latest_version: 1,
      owner: "builtin",
      saved_at: "",
      document: { id: "poem-questions", name: "Poem questions and answers", steps: [{ id: "q", model_tier: "tier-1", prompt: "Ask" }] },
    },
    "POST /seed-data/generate": {
      key: KEY,
      download_url: "https://s3.example.com/get?sig",
      records: 12,
      requested: 12,
      dropped: 0,
      fields: ["author.name", "poem.title"],
      preview,
      model_id: "llama-3.1-8b",
      answered_by: "local-endpoint",
      input_tokens: 100,
      output_tokens: 200,
      cost_usd: 0,
    },
    "POST /seed-data/validate": { valid: true, records: 12, required_fields: ["author.name", "poem.title"], missing: [] },
    "POST /jobs/estimate": { records: 5, expected_cost_usd: 0.001, max_cost_usd: 0.002, expected_input_tokens: 1, expected_output_tokens: 1, expected_tokens: 2, steps: [] },
    ...overrides,
  };
}

describe("generate seed data on the new-job page", () => {
  it("asks for a template first", async () => {
    const user = userEvent.setup();
    renderApp("/jobs/new", routes());
    await user.click(await screen.findByRole("button", { name: "Generate seed data" }));
    expect(screen.getByText(/Choose a template below first/)).toBeInTheDocument();
  });

  it("generates records for the template, previews them and selects the file for the job", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/jobs/new", routes());
    await screen.findByRole("option", { name: /Poem questions and answers/ });
    await user.selectOptions(screen.getByLabelText("Template"), "poem-questions");
    await waitFor(() => expect(screen.getByLabelText("Version")).toHaveValue("1"));
    await user.click(screen.getByRole("button", { name: "Generate seed data" }));
    const panel = screen.getByTestId("generate-seeds");
    await user.clear(within(panel).getByLabelText("Records to generate"));
    await user.type(within(panel).getByLabelText("Records to generate"), "12");
    await user.type(within(panel).getByLabelText(/Instructions/), "Romantic poets");
    await user.click(within(panel).getByRole("button", { name: "Generate" }));

    const made = await screen.findByTestId("generated-seeds");
    expect(requests.find((r) => r.path === "/seed-data/generate")?.body).toEqual({
      template_id: "poem-questions",
      version: 1,
      count: 12,
      model: "local",
      instructions: "Romantic poets",
    });
    expect(made).toHaveTextContent("12 of 12 records with author.name, poem.title");
    expect(within(made).getByTestId("generated-seed-key")).toHaveTextContent(KEY);
    expect(within(made).getByTestId("generated-preview").textContent).toBe(preview.map((r) => JSON.stringify(r)).join("\n"));
    expect(within(made).getByRole("link", { name: "Download the JSONL" })).toHaveAttribute("href", "https://s3.example.com/get?sig");
    // the generated file is the job's seed data: it is validated against the template
    await waitFor(() =>
      expect(requests.filter((r: RecordedRequest) => r.path === "/seed-data/validate").at(-1)?.body).toEqual({
        template_id: "poem-questions",
        template_version: 1,
        seed_data_key: KEY,
      }),
    );
    expect(screen.getByRole("radio", { name: "Upload a file" })).toBeChecked();
  });

  it("shows the API's refusal and keeps the count in range", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/jobs/new", routes({ "POST /seed-data/generate": json({ message: "count: Input should be less than or equal to 100" }, 422) }));
    await screen.findByRole("option", { name: /Poem questions and answers/ });
    await user.selectOptions(screen.getByLabelText("Template"), "poem-questions");
    await user.click(screen.getByRole("button", { name: "Generate seed data" }));
    const panel = screen.getByTestId("generate-seeds");
    await user.clear(within(panel).getByLabelText("Records to generate"));
    await user.type(within(panel).getByLabelText("Records to generate"), "101");
    await user.click(within(panel).getByRole("button", { name: "Generate" }));
    expect(await within(panel).findByText("Generate 1 to 100 records.")).toBeInTheDocument();
    expect(requests.some((r) => r.path === "/seed-data/generate")).toBe(false);

    await user.clear(within(panel).getByLabelText("Records to generate"));
    await user.type(within(panel).getByLabelText("Records to generate"), "5");
    await user.selectOptions(within(panel).getByLabelText("Model"), "tier-2");
    await user.click(within(panel).getByRole("button", { name: "Generate" }));
    expect(await within(panel).findByText(/less than or equal to 100/)).toBeInTheDocument();
    expect((requests.find((r) => r.path === "/seed-data/generate")?.body as { model: string }).model).toBe("tier-2");
  });
});
