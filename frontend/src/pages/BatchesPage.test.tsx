import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Batch, BatchJobRow, CreateBatchRequest } from "../api/batches";
import { job, json, renderApp, type RecordedRequest } from "../test/helpers";

const template = {
  template_id: "poem-questions",
  version: 2,
  latest_version: 2,
  owner: "builtin",
  saved_at: "",
  document: {
    id: "poem-questions",
    name: "Poem questions and answers",
    steps: [
      { id: "question", model_tier: "tier-1", prompt: "Ask" },
      { id: "answer", model_tier: "tier-1", prompt: "Answer" },
    ],
  },
};

function formRoutes(overrides: Record<string, unknown> = {}) {
  return {
    "GET /sample-datasets": { datasets: [{ name: "poetry", key: "sample-datasets/poetry/poems.jsonl", size_bytes: 3686 }] },
    "GET /templates": {
      templates: [{ template_id: "poem-questions", name: "Poem questions and answers", latest_version: 2, owner: "builtin", updated_at: "" }],
    },
    "GET /templates/:id/versions": { template_id: "poem-questions", versions: [{ version: 2, name: "v2" }, { version: 1, name: "v1" }] },
    "GET /templates/:id": template,
    "POST /batches/estimate": (r: RecordedRequest) => {
      const body = r.body as CreateBatchRequest;
      const jobs = (body.sweep.records ?? [body.job.records]).map((records) => ({
        params: { records },
        name: `${body.name} (records=${records})`,
        expected_cost_usd: 0.001 * records,
      }));
      return { job_count: jobs.length, expected_cost_usd: jobs.reduce((a, j) => a + j.expected_cost_usd, 0), max_cost_usd: 1, jobs };
    },
    ...overrides,
  };
}

async function fillForm(user: ReturnType<typeof userEvent.setup>, sweepRecords: string) {
  await user.type(await screen.findByLabelText("Batch name"), "sizes");
  await user.selectOptions(await screen.findByRole("combobox", { name: "Sample dataset" }), "poetry");
  await user.selectOptions(screen.getByLabelText("Template"), "poem-questions");
  await waitFor(() => expect(screen.getByLabelText("Version")).toHaveValue("2"));
  await user.type(screen.getByLabelText(/Record counts/), sweepRecords);
}

function row(overrides: Partial<BatchJobRow>): BatchJobRow {
  return {
    job_id: "job-a",
    name: "sizes (records=2)",
    params: { records: 2 },
    status: "COMPLETED",
    records: 2,
    record_count: 2,
    cost_usd: 0.004,
    cost_per_record_usd: 0.002,
    duration_seconds: 4,
    quality: null,
    quality_score: null,
    ...overrides,
  };
}

function batch(overrides: Partial<Batch> = {}): Batch {
  return {
    batch_id: "batch-1",
    name: "sizes",
    created_at: "2026-12-01T06:00:00Z",
    status: "COMPLETED",
    job_count: 3,
    status_counts: { COMPLETED: 3 },
    dimensions: ["records"],
    sweep: { records: [2, 4, 6] },
    estimated_cost_usd: 0.012,
    cost_usd: 0.0123,
    records: 12,
    jobs: [
      row({
        job_id: "job-a",
        quality: { status: "COMPLETED", stats: { distinct_2: 0.9, exact_duplicates: 0 }, judge: { overall: 4.5 } },
        quality_score: 4.5,
      }),
      row({
        job_id: "job-b",
        name: "sizes (records=4)",
        params: { records: 4 },
        records: 4,
        record_count: 4,
        cost_usd: 0.004,
        cost_per_record_usd: 0.001,
        quality: { status: "COMPLETED", stats: { distinct_2: 0.7, exact_duplicates: 2 }, judge: { overall: 4.5 } },
        quality_score: 4.5,
      }),
      row({ job_id: "job-c", name: "sizes (records=6)", params: { records: 6 }, records: 6, record_count: 6, cost_usd: 0.0043, cost_per_record_usd: 0.0007, quality: null }),
    ],
    best: { cost_per_record: "job-c", quality: "job-a", duration: "job-a", records: "job-c", overall: "job-a" },
    ...overrides,
  };
}

const bestDashboard = {
  job: job({ job_id: "job-b", status: "COMPLETED", chat_format: "messages" }),
  progress: { records_generated: 4, record_count: 4, percent: 100, records_per_second: 1, eta_seconds: null },
  cost: { bedrock_usd: 0, fargate_usd: 0, s3_usd: 0, total_usd: 0.004, budget_usd: 1, budget_used_percent: 0.4 },
  cost_history: [],
  interruptions: { relaunches: 0 },
  sample_records: [],
  downloads: {
    "dataset.jsonl": "https://s3.example.com/b/dataset.jsonl?sig=1",
    "dataset.chat.jsonl": "https://s3.example.com/b/dataset.chat.jsonl?sig=2",
  },
  archive: { archived: false },
};

describe("batches list", () => {
  it("lists the caller's batches with what they vary, linked to their pages", async () => {
    renderApp("/batches", {
      "GET /batches": {
        batches: [{ batch_id: "batch-1", name: "sizes", created_at: "2026-12-01T06:00:00Z", job_count: 3, dimensions: ["records", "model"], estimated_cost_usd: 0.012 }],
        next_cursor: null,
      },
    });
    const rows = await screen.findAllByTestId("batch-row");
    expect(rows).toHaveLength(1);
    expect(rows[0]).toHaveTextContent("Records asked, Model or tier");
    expect(within(rows[0]!).getByRole("link", { name: "sizes" })).toHaveAttribute("href", "/batches/batch-1");
    expect(screen.getByRole("link", { name: "Batches" })).toHaveClass("active");
  });
});

describe("new batch form", () => {
  it("shows the number of jobs and the API's estimate, then creates the batch and opens it", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp(
      "/batches/new",
      formRoutes({
        "POST /batches": () => json({ batch: batch({ status: "QUEUED" }), jobs: [] }, 201),
        "GET /batches/:id": batch({ status: "QUEUED" }),
        "GET /dashboard/:id": bestDashboard,
      }),
    );
    await fillForm(user, "2, 4, 6");
    await user.click(screen.getByLabelText("Tier 3 (premium)"));
    expect(screen.getByTestId("batch-job-count")).toHaveTextContent("This sweep makes 3 jobs.");
    // the stub prices only records: the model value still reaches the request
    await waitFor(() => expect(screen.getByTestId("batch-estimate-jobs")).toHaveTextContent("3"));
    expect(screen.getByTestId("batch-estimate-expected")).toHaveTextContent("$0.012");
    expect(screen.getAllByTestId("batch-estimate-row")).toHaveLength(3);
    expect(requests.some((r) => r.method === "POST" && r.path === "/batches")).toBe(false);

    await user.click(screen.getByRole("button", { name: "Create batch" }));
    await screen.findByTestId("batch-status");
    const created = requests.find((r) => r.method === "POST" && r.path === "/batches");
    expect(created?.body).toEqual({
      name: "sizes",
      job: { name: "sizes", template_id: "poem-questions", template_version: 2, records: 10, budget_usd: 1, chat_format: "messages", sample_dataset: "poetry" },
      sweep: { model: ["tier-3"], records: [2, 4, 6] },
    });
    expect(window.location.pathname).toBe("/batches/batch-1");
  });

  it("shows field errors beside the fields and sends nothing", async () => {
    const user = userEvent.setup();
    const { requests } = renderApp("/batches/new", formRoutes());
    await screen.findByLabelText("Batch name");
    await user.type(screen.getByLabelText(/Temperatures/), "0.5, 2");
    await user.click(screen.getByRole("button", { name: "Create batch" }));
    expect(await screen.findByText("Give the batch a name.")).toBeInTheDocument();
    expect(screen.getByText("Choose a template.")).toBeInTheDocument();
    expect(screen.getByLabelText(/Temperatures/)).toHaveAccessibleDescription(/Numbers from 0 to 1/);
    expect(requests.some((r) => r.method === "POST")).toBe(false);
  });

  it("shows the server's refusal of a sweep over 20 jobs, in the estimate and when submitted", async () => {
    const user = userEvent.setup();
    const message = "this sweep makes 21 jobs (3 temperature x 7 records); a batch holds at most 20";
    const { requests } = renderApp(
      "/batches/new",
      formRoutes({
        "POST /batches/estimate": () => json({ message }, 400),
        "POST /batches": () => json({ message }, 400),
      }),
    );
    await fillForm(user, "1, 2, 3, 4, 5, 6, 7");
    await user.type(screen.getByLabelText(/Temperatures/), "0.1, 0.5, 0.9");
    expect(screen.getByTestId("batch-job-count")).toHaveTextContent("This sweep makes 21 jobs.");
    expect(await screen.findByTestId("batch-estimate-error")).toHaveTextContent(message);
    await user.click(screen.getByRole("button", { name: "Create batch" }));
    expect(await screen.findByTestId("batch-form-error")).toHaveTextContent(message);
    // said once beside the sweep (the estimate), once with the submission
    expect(screen.queryByTestId("sweep-error")).toBeNull();
    expect(window.location.pathname).toBe("/batches/new");
    expect(requests.filter((r) => r.method === "POST" && r.path === "/batches")).toHaveLength(1);
  });
});

describe("new batch form, server field errors", () => {
  it("puts a server message about a field beside that field", async () => {
    const user = userEvent.setup();
    renderApp("/batches/new", formRoutes({ "POST /batches": () => json({ message: "sweep.records.1: records 7 is too many for this seed file" }, 422) }));
    await fillForm(user, "2, 7");
    await user.click(screen.getByRole("button", { name: "Create batch" }));
    expect(await screen.findByTestId("batch-form-error")).toHaveTextContent("sweep.records.1: records 7 is too many");
    expect(screen.getByLabelText(/Record counts/)).toHaveAccessibleDescription(/records 7 is too many for this seed file/);
  });
});

describe("batch page", () => {
  it("compares the jobs side by side, marks the best and offers its chat dataset", async () => {
    const { requests } = renderApp("/batches/batch-1", { "GET /batches/:id": batch(), "GET /dashboard/:id": bestDashboard });
    const rows = await screen.findAllByTestId("batch-job-row");
    expect(rows).toHaveLength(3);
    expect(screen.getByTestId("batch-status")).toHaveTextContent("COMPLETED");
    const [a, b, c] = rows as [HTMLElement, HTMLElement, HTMLElement];
    expect(within(a).getByTestId("param-records")).toHaveTextContent("2");
    expect(within(b).getByTestId("cell-records")).toHaveTextContent("4 / 4");
    expect(within(b).getByTestId("cell-cost")).toHaveTextContent("$0.004");
    expect(within(b).getByTestId("cell-cost-per-record")).toHaveTextContent("$0.001");
    expect(within(b).getByTestId("cell-quality")).toHaveTextContent("4.5 / 5distinct-2 0.70 · 2 duplicates");
    expect(within(c).getByTestId("cell-quality-overall")).toHaveTextContent("—");
    expect(within(a).getByTestId("cell-duration")).toHaveTextContent("4 s");
    // a tie on quality goes to the lower cost per record
    expect(within(b).getByTestId("best-badge")).toBeInTheDocument();
    expect(within(a).queryByTestId("best-badge")).toBeNull();
    const chat = await screen.findByTestId("best-download-dataset.chat.jsonl");
    expect(chat).toHaveAttribute("href", "https://s3.example.com/b/dataset.chat.jsonl?sig=2");
    expect(requests.some((r) => r.path === "/dashboard/job-b")).toBe(true);
    expect(screen.queryByRole("button", { name: "Cancel batch" })).toBeNull();
  });

  it("shows pending quality while jobs run, and cancels the batch after confirmation", async () => {
    const user = userEvent.setup();
    let cancelled = false;
    const running = batch({
      status: "RUNNING",
      status_counts: { RUNNING: 3 },
      jobs: batch().jobs.map((r) => ({ ...r, status: "RUNNING", quality: null, quality_score: null, duration_seconds: null })),
    });
    const { requests } = renderApp("/batches/batch-1", {
      "GET /batches/:id": () => (cancelled ? batch({ status: "CANCELLED", status_counts: { CANCELLED: 3 } }) : running),
      "DELETE /batches/:id": () => {
        cancelled = true;
        return batch({ status: "CANCELLED", status_counts: { CANCELLED: 3 }, jobs: running.jobs.map((r) => ({ ...r, status: "CANCELLED" })) });
      },
    });
    const rows = await screen.findAllByTestId("batch-job-row");
    expect(within(rows[0]!).getByTestId("cell-quality-overall")).toHaveTextContent("pending");
    expect(within(rows[0]!).getByTestId("cell-duration")).toHaveTextContent("—");
    expect(screen.getByTestId("best-job")).toHaveTextContent("The best job is picked once jobs finish.");
    await user.click(screen.getByRole("button", { name: "Cancel batch" }));
    expect(requests.some((r) => r.method === "DELETE")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Yes, cancel" }));
    await waitFor(() => expect(screen.getByTestId("batch-status")).toHaveTextContent("CANCELLED"));
    expect(requests.filter((r) => r.method === "DELETE" && r.path === "/batches/batch-1")).toHaveLength(1);
    expect(screen.queryByRole("button", { name: "Cancel batch" })).toBeNull();
  });

  it("refreshes itself while jobs run and stops once the batch has ended", async () => {
    let reads = 0;
    const running = batch({ status: "RUNNING", jobs: batch().jobs.map((r) => ({ ...r, status: "RUNNING", quality: null, quality_score: null })) });
    const { requests } = renderApp("/batches/batch-1", {
      "GET /batches/:id": () => (++reads < 2 ? running : batch()),
      "GET /dashboard/:id": bestDashboard,
    });
    expect(await screen.findByTestId("batch-status")).toHaveTextContent("RUNNING");
    await waitFor(() => expect(screen.getByTestId("batch-status")).toHaveTextContent("COMPLETED"));
    expect(await screen.findByTestId("best-download-dataset.chat.jsonl")).toBeInTheDocument();
    const settled = requests.filter((r) => r.path === "/batches/batch-1").length;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(requests.filter((r) => r.path === "/batches/batch-1")).toHaveLength(settled);
  }, 10000);

  it("says why a batch failed when not every job could be queued", async () => {
    const error = "queuing job 3 of 4 failed (ClientError); the 2 queued before it were cancelled";
    renderApp("/batches/batch-1", { "GET /batches/:id": batch({ status: "FAILED", error }) });
    const alert = (await screen.findByText("Not every job of this batch could be queued")).closest(".alert") as HTMLElement;
    expect(alert).toHaveTextContent(error);
    expect(screen.getByTestId("batch-status")).toHaveTextContent("FAILED");
  });

  it("says the server's message when the batch cannot be read", async () => {
    renderApp("/batches/nope", { "GET /batches/:id": json({ message: "batch nope not found" }, 404) });
    expect(await screen.findByText("batch nope not found")).toBeInTheDocument();
  });
});
