import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Dashboard } from "../api/types";
import { job, json, renderApp } from "../test/helpers";

function dashboard(overrides: Partial<Dashboard> = {}, jobOverrides: Record<string, unknown> = {}): Dashboard {
  return {
    job: job({ status: "COMPLETED", records_generated: 12, record_count: 12, ...jobOverrides }) as Dashboard["job"],
    progress: { records_generated: 12, record_count: 12, percent: 100, records_per_second: 4.2, eta_seconds: null },
    cost: { bedrock_usd: 0.004, fargate_usd: 0.0002, s3_usd: 0.00001, total_usd: 0.00421, budget_usd: 1, budget_used_percent: 0.4, estimated_usd: 0.0035 },
    cost_history: [{ timestamp: "2026-01-02T10:00:05Z", cost_usd: 0.002, records_generated: 6 }],
    interruptions: { relaunches: 1, last_interruption: "SpotInterrupted" },
    sample_records: [{ id: "r1", fields: { question: "Why feathers?" } }],
    downloads: {
      "dataset.jsonl": "https://s3.example.com/j/dataset.jsonl?sig=1",
      "dataset.parquet": "https://s3.example.com/j/dataset.parquet?sig=2",
      "dataset.csv": "https://s3.example.com/j/dataset.csv?sig=3",
      "manifests/jsonl.json": "https://s3.example.com/j/manifests/jsonl.json?sig=4",
      "partitioned/timestamp/year=2026/month=01/day=02/records.jsonl": "https://s3.example.com/p?sig=5",
    },
    archive: { archived: false, storage_class: "STANDARD", note: "Outputs older than three days are kept in S3 Glacier Instant Retrieval." },
    ...overrides,
  };
}

describe("job page", () => {
  it("shows status, progress, cost, samples and the three datasets with their presigned links", async () => {
    renderApp("/jobs/job-1", { "GET /dashboard/:id": dashboard() });
    expect(await screen.findByTestId("job-status")).toHaveTextContent(/^COMPLETED$/);
    expect(screen.getByTestId("job-progress")).toHaveTextContent(/^12 \/ 12$/);
    expect(screen.getByTestId("download-dataset.jsonl")).toHaveAttribute("href", "https://s3.example.com/j/dataset.jsonl?sig=1");
    expect(screen.getByTestId("download-dataset.parquet")).toHaveAttribute("href", "https://s3.example.com/j/dataset.parquet?sig=2");
    expect(screen.getByTestId("download-dataset.csv")).toHaveAttribute("href", "https://s3.example.com/j/dataset.csv?sig=3");
    expect(screen.getByTestId("download-manifests/jsonl.json")).toBeInTheDocument();
    expect(screen.getByTestId("sample-records")).toHaveTextContent("Why feathers?");
    expect(screen.getByTestId("cost-chart")).toBeInTheDocument();
    expect(screen.getByText("4.2 records/s")).toBeInTheDocument();
    expect(screen.getByText("$0.00421")).toBeInTheDocument();
    expect(screen.getByText(/1 relaunch/)).toBeInTheDocument();
    expect(screen.getByText(/SpotInterrupted/)).toBeInTheDocument();
    // Final: nothing to cancel.
    expect(screen.queryByRole("button", { name: "Cancel job" })).not.toBeInTheDocument();
  });

  it("cancels a running job after confirmation", async () => {
    const user = userEvent.setup();
    let status = "RUNNING";
    const { requests } = renderApp("/jobs/job-1", {
      "GET /dashboard/:id": () =>
        dashboard({ downloads: {}, progress: { records_generated: 5, record_count: 12, percent: 41, records_per_second: 2, eta_seconds: 3.5 } }, { status }),
      "DELETE /jobs/:id": () => {
        status = "CANCELLED";
        return job({ status });
      },
    });
    expect(await screen.findByText("4 s")).toBeInTheDocument(); // the ETA
    await user.click(screen.getByRole("button", { name: "Cancel job" }));
    expect(requests.some((r) => r.method === "DELETE")).toBe(false);
    await user.click(screen.getByRole("button", { name: "Yes, cancel" }));
    await waitFor(() => expect(screen.getByTestId("job-status")).toHaveTextContent("CANCELLED"));
    expect(requests.filter((r) => r.method === "DELETE").map((r) => r.path)).toEqual(["/jobs/job-1"]);
    expect(screen.queryByRole("button", { name: "Cancel job" })).not.toBeInTheDocument();
  });

  it("shows why a cancel was refused", async () => {
    const user = userEvent.setup();
    renderApp("/jobs/job-1", {
      "GET /dashboard/:id": dashboard({ downloads: {} }, { status: "EXPORTING" }),
      "DELETE /jobs/:id": json({ message: "job job-1 already ended (COMPLETED)" }, 409),
    });
    await user.click(await screen.findByRole("button", { name: "Cancel job" }));
    await user.click(screen.getByRole("button", { name: "Yes, cancel" }));
    expect(await screen.findByText("job job-1 already ended (COMPLETED)")).toBeInTheDocument();
  });

  it("shows a failed job's error", async () => {
    renderApp("/jobs/job-1", { "GET /dashboard/:id": dashboard({ downloads: {} }, { status: "FAILED", error: "Worker relaunched 5 times" }) });
    const alert = await screen.findByRole("alert");
    expect(alert).toHaveTextContent("The job failed");
    expect(alert).toHaveTextContent("Worker relaunched 5 times");
  });

  it("says how many records failed and why, beside the records written", async () => {
    const failures = {
      by_error: { PoisonRecord: 1, TemplateValidationError: 2 },
      examples: [
        { record: 13, error: "PoisonRecord", reason: "record 13 stopped 2 workers (nothing finished while it ran); skipped" },
        { record: 40, error: "TemplateValidationError", reason: "step 'q': not allowed: the render went over its 2 s time budget" },
      ],
    };
    renderApp("/jobs/job-1", {
      "GET /dashboard/:id": dashboard({}, { records_generated: 9, records_failed: 3, record_failures: failures }),
    });
    const alert = await screen.findByTestId("failed-records");
    expect(alert).toHaveTextContent("3 records failed and were skipped");
    const list = within(alert).getByTestId("record-failures");
    expect(list).toHaveTextContent("PoisonRecord: 1");
    expect(list).toHaveTextContent("TemplateValidationError: 2");
    expect(list).toHaveTextContent("record 13: record 13 stopped 2 workers");
    expect(list).toHaveTextContent("record 40: step 'q': not allowed: the render went over its 2 s time budget");
  });

  it("explains archived outputs: Glacier Instant Retrieval, no restore", async () => {
    renderApp("/jobs/job-1", {
      "GET /dashboard/:id": dashboard({
        archive: { archived: true, storage_class: "GLACIER_IR", note: "Downloads work at once, with no restore, at a retrieval charge." },
      }),
    });
    const notice = (await screen.findByText("Archived to S3 Glacier Instant Retrieval")).closest(".alert") as HTMLElement;
    expect(notice).toHaveTextContent("with no restore, at a retrieval charge");
  });

  it("shows the estimate the API returned when the job was created", async () => {
    sessionStorage.setItem(
      "plot-palette:estimate:job-1",
      JSON.stringify({ records: 12, expected_cost_usd: 0.0035, max_cost_usd: 0.0114, expected_input_tokens: 1, expected_output_tokens: 2, expected_tokens: 5971, steps: [{ step_id: "question", model_id: "llama-3.1-8b", tier: "tier-1", cost_per_record: 0.00003 }] }),
    );
    renderApp("/jobs/job-1", { "GET /dashboard/:id": dashboard() });
    const panel = (await screen.findByText("Estimate (from the API at submission)")).closest("section") as HTMLElement;
    expect(within(panel).getByText("$0.0114")).toBeInTheDocument();
    expect(within(panel).getByText("llama-3.1-8b")).toBeInTheDocument();
  });

  it("shows the judge's scores, the statistics and what the judge cost once the job has ended", async () => {
    renderApp("/jobs/job-1", {
      "GET /dashboard/:id": dashboard({}, {
        quality: {
          status: "COMPLETED",
          reason: null,
          stats: { records: 12, distinct_1: 0.5123, distinct_2: 0.8, length: { min: 4, p50: 9, p90: 14, max: 20, mean: 9.5 }, exact_duplicates: 2, near_duplicates: 1 },
          judge: { model: "claude-haiku", sampled: 12, coherence: 4.25, relevance: 3.5, format_compliance: 5, overall: 4.25, cost_usd: 0.0012 },
        },
      }),
    });
    const panel = await screen.findByTestId("quality-panel");
    expect(within(panel).getByTestId("quality-coherence")).toHaveTextContent("4.25 / 5");
    expect(within(panel).getByTestId("quality-relevance")).toHaveTextContent("3.50 / 5");
    expect(within(panel).getByTestId("quality-overall")).toHaveTextContent("4.25 / 5");
    expect(within(panel).getByTestId("quality-distinct")).toHaveTextContent("51.2% / 80.0%");
    expect(within(panel).getByTestId("quality-duplicates")).toHaveTextContent("2 exact, 1 near");
    expect(panel).toHaveTextContent("12 records scored for $0.0012, counted in the job's cost.");
    expect(panel).toHaveTextContent("Judged by claude-haiku");
  });

  it("says why a job was not assessed, and that a failed quality step leaves the datasets alone", async () => {
    const skipped = { status: "SKIPPED", reason: "the job has no records to assess", stats: null, judge: null };
    const { unmount } = renderApp("/jobs/job-1", { "GET /dashboard/:id": dashboard({}, { quality: skipped }) });
    expect(await screen.findByTestId("quality-reason")).toHaveTextContent("Not assessed: the job has no records to assess");
    expect(screen.queryByTestId("quality-judge")).not.toBeInTheDocument();
    unmount();
    const failed = { status: "FAILED", reason: "the quality step failed", stats: null, judge: null };
    renderApp("/jobs/job-1", { "GET /dashboard/:id": dashboard({}, { quality: failed }) });
    const alert = (await screen.findByText("The quality step failed")).closest(".alert") as HTMLElement;
    expect(alert).toHaveTextContent("The job's datasets are unaffected.");
  });

  it("says when the job is not there", async () => {
    renderApp("/jobs/nope", { "GET /dashboard/:id": json({ message: "job nope not found" }, 404) });
    expect(await screen.findByText("job nope not found")).toBeInTheDocument();
  });
});
