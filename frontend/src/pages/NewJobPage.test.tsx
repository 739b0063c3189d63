import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { job, json, renderApp, type RecordedRequest } from "../test/helpers";

const poemQuestions = {
  template_id: "poem-questions",
  version: 1,
  latest_version: 1,
  owner: "builtin",
  saved_at: "",
  document: {
    id: "poem-questions",
    name: "Poem questions and answers",
    steps: [
      { id: "question", model_tier: "tier-1", max_tokens: 120, temperature: 0.9, prompt: "Ask" },
      { id: "answer", model: "meta.llama3-70b", max_tokens: 400, prompt: "Answer" },
    ],
  },
};

function routes(overrides: Record<string, unknown> = {}) {
  return {
    "GET /sample-datasets": {
      datasets: [
        { name: "literature", key: "sample-datasets/literature/notes.jsonl", size_bytes: 2048 },
        { name: "poetry", key: "sample-datasets/poetry/poems.jsonl", size_bytes: 3686 },
      ],
    },
    "GET /templates": {
      templates: [
        { template_id: "tpl-mine", name: "Mine", latest_version: 2, owner: "you", updated_at: "" },
        { template_id: "poem-questions", name: "Poem questions and answers", latest_version: 1, owner: "builtin", updated_at: "" },
      ],
    },
    "GET /templates/:id/versions": (r: RecordedRequest) =>
      r.path.includes("tpl-mine")
        ? { template_id: "tpl-mine", versions: [{ version: 2, name: "Mine" }, { version: 1, name: "Mine" }] }
        : { template_id: "poem-questions", versions: [{ version: 1, name: "Poem questions and answers" }] },
    "GET /templates/:id": poemQuestions,
    "POST /seed-data/validate": { valid: true, records: 10, required_fields: ["author.name", "poem.title"], missing: [] },
    "POST /jobs/estimate": (r: RecordedRequest) => ({
      records: (r.body as { records: number }).records,
      expected_cost_usd: 0.0004 * (r.body as { records: number }).records,
      max_cost_usd: 0.001 * (r.body as { records: number }).records,
      expected_input_tokens: 100,
      expected_output_tokens: 200,
      expected_tokens: 300,
      steps: [],
    }),
    ...overrides,
  };
}

async function fillValidForm(user: ReturnType<typeof userEvent.setup>) {
  await user.type(await screen.findByLabelText("Job name"), "Poetry Q&A");
  await user.selectOptions(await screen.findByRole("combobox", { name: "Sample dataset" }), "poetry");
  await user.selectOptions(screen.getByLabelText("Template"), "poem-questions");
  await waitFor(() => expect(screen.getByLabelText("Version")).toHaveValue("1"));
  await user.clear(screen.getByLabelText("Records"));
  await user.type(screen.getByLabelText("Records"), "12");
  await user.clear(screen.getByLabelText("Budget (USD)"));
  await user.type(screen.getByLabelText("Budget (USD)"), "1");
}

describe("new job form", () => {
  it("shows the API's estimate before launching and warns when the budget is short", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/jobs/new", routes());
    await fillValidForm(user);
    const panel = await screen.findByTestId("job-estimate");
    await waitFor(() => expect(within(panel).getByTestId("estimate-expected")).toHaveTextContent("$0.0048"));
    expect(within(panel).getByTestId("estimate-max")).toHaveTextContent("$0.012");
    expect(within(panel).queryByRole("alert")).toBeNull();
    const asked = requests.filter((r) => r.method === "POST" && r.path === "/jobs/estimate");
    expect(asked.at(-1)?.body).toMatchObject({ records: 12, budget_usd: 1, sample_dataset: "poetry", template_id: "poem-questions" });
    expect(requests.some((r) => r.method === "POST" && r.path === "/jobs")).toBe(false);

    await user.clear(screen.getByLabelText("Records"));
    await user.type(screen.getByLabelText("Records"), "5000");
    await waitFor(() => expect(within(panel).getByTestId("estimate-expected")).toHaveTextContent("$2.00"));
    expect(within(panel).getByText(/most likely stop at its budget/)).toBeInTheDocument();
  });

  it("puts each problem beside its field and sends nothing", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/jobs/new", routes());
    await screen.findByRole("option", { name: /poetry/ });
    await user.clear(screen.getByLabelText("Records"));
    await user.type(screen.getByLabelText("Records"), "0");
    await user.clear(screen.getByLabelText("Budget (USD)"));
    await user.click(screen.getByRole("button", { name: "Launch job" }));

    expect(screen.getByLabelText("Job name")).toHaveAccessibleDescription("Give the job a name.");
    expect(screen.getByLabelText("Job name")).toHaveAttribute("aria-invalid", "true");
    expect(screen.getByRole("combobox", { name: "Sample dataset" })).toHaveAccessibleDescription(/Choose a sample dataset\./);
    expect(screen.getByLabelText("Template")).toHaveAccessibleDescription("Choose a template.");
    expect(screen.getByLabelText("Records")).toHaveAccessibleDescription(/^Must be greater than 0\./);
    expect(screen.getByLabelText("Budget (USD)")).toHaveAccessibleDescription(/^Enter a budget\./);
    expect(requests.some((r) => r.method === "POST" && r.path === "/jobs")).toBe(false);

    // Errors follow corrections.
    await user.type(screen.getByLabelText("Job name"), "x");
    expect(screen.getByLabelText("Job name")).not.toHaveAttribute("aria-invalid");
  });

  it("shows the template's steps and checks the seed data against it", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/jobs/new", routes());
    expect(await screen.findByTestId("seed-validation")).toHaveTextContent("Choose seed data and a template");
    await fillValidForm(user);
    await waitFor(() => expect(screen.getByTestId("seed-validation")).toHaveTextContent("All 10 records have the fields"));
    expect(requests.find((r) => r.path === "/seed-data/validate")?.body).toEqual({
      template_id: "poem-questions",
      template_version: 1,
      sample_dataset: "poetry",
    });
    const steps = screen.getByRole("table", { name: "Steps of the template" });
    expect(within(steps).getByText("tier-1")).toBeInTheDocument();
    expect(within(steps).getByText("meta.llama3-70b")).toBeInTheDocument();
  });

  it("lists the records that miss fields", async () => {
    const user = userEvent.setup();
    renderApp(
      "/jobs/new",
      routes({
        "POST /seed-data/validate": {
          valid: false,
          records: 4,
          required_fields: ["author.name"],
          missing: [{ record: 3, fields: ["author.name", "poem.title"] }],
        },
      }),
    );
    await fillValidForm(user);
    const result = screen.getByTestId("seed-validation");
    await waitFor(() => expect(result).toHaveTextContent("1 of 4 records are missing fields"));
    expect(result).toHaveTextContent("Record 3: missing author.name, poem.title");
  });

  it("creates the job and opens its page with the API's estimate", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp(
      "/jobs/new",
      routes({
        "POST /jobs": json(
          {
            job: job({ job_id: "new-job", status: "QUEUED", records_generated: 0 }),
            estimate: { records: 12, expected_cost_usd: 0.0035, max_cost_usd: 0.0114, expected_input_tokens: 1, expected_output_tokens: 1, expected_tokens: 2, steps: [] },
          },
          201,
        ),
        "GET /dashboard/:id": {
          job: job({ job_id: "new-job", status: "QUEUED", records_generated: 0 }),
          progress: { records_generated: 0, record_count: 12, percent: 0, records_per_second: 0, eta_seconds: null },
          cost: { bedrock_usd: 0, fargate_usd: 0, s3_usd: 0, total_usd: 0, budget_usd: 1, budget_used_percent: 0 },
          cost_history: [],
          interruptions: { relaunches: 0 },
          sample_records: [],
          downloads: {},
          archive: { archived: false },
        },
      }),
    );
    await fillValidForm(user);
    await user.selectOptions(screen.getByLabelText("Priority"), "7");
    await user.type(screen.getByLabelText(/Category field/), "fields.category");
    await user.click(screen.getByRole("button", { name: "Launch job" }));

    expect(await screen.findByText("Estimate (from the API at submission)")).toBeInTheDocument();
    expect(window.location.pathname).toBe("/jobs/new-job");
    expect(requests.find((r) => r.method === "POST" && r.path === "/jobs")?.body).toEqual({
      name: "Poetry Q&A",
      records: 12,
      budget_usd: 1,
      priority: 7,
      category_field: "fields.category",
      template_id: "poem-questions",
      template_version: 1,
      sample_dataset: "poetry",
    });
  });

  it("shows the server's refusal near the form, and beside the field it names", async () => {
    const user = userEvent.setup();
    renderApp("/jobs/new", routes({ "POST /jobs": json({ message: "budget_usd: Input should be less than or equal to 10000" }, 422) }));
    await fillValidForm(user);
    await user.click(screen.getByRole("button", { name: "Launch job" }));
    expect(await screen.findByTestId("job-form-error")).toHaveTextContent("budget_usd: Input should be less than or equal to 10000");
    expect(screen.getByLabelText("Budget (USD)")).toHaveAccessibleDescription(/^Input should be less than or equal to 10000/);
  });

  it("names each submission with an Idempotency-Key: sent again unchanged it keeps its key, changed it gets a new one", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp(
      "/jobs/new",
      routes({ "POST /jobs": () => json({ message: "the model service is unavailable in this region" }, 400) }),
    );
    await fillValidForm(user);
    const launch = screen.getByRole("button", { name: "Launch job" });
    await user.click(launch);
    await screen.findByTestId("job-form-error");
    await user.click(launch);
    await waitFor(() => expect(requests.filter((r) => r.method === "POST" && r.path === "/jobs")).toHaveLength(2));
    await user.clear(screen.getByLabelText("Budget (USD)"));
    await user.type(screen.getByLabelText("Budget (USD)"), "2");
    await user.click(launch);
    await waitFor(() => expect(requests.filter((r) => r.method === "POST" && r.path === "/jobs")).toHaveLength(3));

    const keys = requests.filter((r) => r.method === "POST" && r.path === "/jobs").map((r) => r.headers.get("Idempotency-Key"));
    expect(keys[0]).toMatch(/^[\x21-\x7e]{1,255}$/);
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
    expect(requests.some((r) => r.path === "/jobs/estimate" && r.headers.has("Idempotency-Key"))).toBe(false);
  });

  it("uploads a seed file to the presigned URL and uses its key", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp(
      "/jobs/new",
      routes({
        "POST /seed-data": { key: "seed-data/u/abc/mine.jsonl", upload_url: "https://s3.example.com/put?sig", headers: { "Content-Type": "application/x-ndjson" }, expires_in: 900 },
        "PUT https://s3.example.com/put?sig": "",
      }),
    );
    await user.click(await screen.findByRole("radio", { name: "Upload a file" }));
    const file = new File(['{"a": 1}\n'], "mine.jsonl", { type: "" });
    await user.upload(screen.getByLabelText("Seed data file"), file);
    expect(await screen.findByText(/Uploaded mine.jsonl/)).toBeInTheDocument();
    expect(requests.find((r) => r.path === "/seed-data")?.body).toEqual({ filename: "mine.jsonl", content_type: "application/x-ndjson", size_bytes: 9 });
    const put = requests.find((r) => r.method === "PUT")!;
    expect(put.headers.get("Authorization")).toBeNull();
    expect(put.headers.get("Content-Type")).toBe("application/x-ndjson");

    await user.selectOptions(screen.getByLabelText("Template"), "poem-questions");
    await waitFor(() => expect(requests.find((r) => r.path === "/seed-data/validate")?.body).toMatchObject({ seed_data_key: "seed-data/u/abc/mine.jsonl" }));
  });
});
