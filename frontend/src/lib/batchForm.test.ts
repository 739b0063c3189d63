import { describe, expect, it } from "vitest";
import type { BatchJobRow } from "../api/batches";
import { bestJob, formatParam, qualityCell } from "./batchCompare";
import {
  initialBatchForm,
  jobCount,
  parseNumbers,
  serverFieldError,
  toCreateBatchRequest,
  validateBatchForm,
  type BatchFormValues,
} from "./batchForm";

function form(overrides: Partial<BatchFormValues> = {}): BatchFormValues {
  return {
    ...initialBatchForm,
    name: "sizes",
    sampleDataset: "poetry",
    templateId: "poem-questions",
    templateVersion: "1",
    sweepRecords: "2, 4, 6",
    ...overrides,
  };
}

describe("batch form", () => {
  it("parses comma-separated numbers and refuses text", () => {
    expect(parseNumbers(" 5, 10,20 ,")).toEqual([5, 10, 20]);
    expect(parseNumbers("")).toEqual([]);
    expect(parseNumbers("5, ten")).toBeNull();
  });

  it("turns a valid form into the API's request: base job, chat format and sweep", () => {
    expect(validateBatchForm(form())).toEqual({});
    expect(toCreateBatchRequest(form({ tiers: ["tier-1", "tier-3"], sweepTemperature: "0.2" }))).toEqual({
      name: "sizes",
      job: {
        name: "sizes",
        template_id: "poem-questions",
        template_version: 1,
        records: 10,
        budget_usd: 1,
        chat_format: "messages",
        sample_dataset: "poetry",
      },
      sweep: { model: ["tier-1", "tier-3"], temperature: [0.2], records: [2, 4, 6] },
    });
  });

  it("puts models on one step when a step is chosen, and counts every combination", () => {
    const values = form({ modelStep: "answer", tiers: ["tier-2"], models: "llama-3.1-8b", versions: [2, 1] });
    const request = toCreateBatchRequest(values);
    expect(request.sweep.model).toEqual([{ answer: "tier-2" }, { answer: "llama-3.1-8b" }]);
    expect(request.sweep.template_version).toEqual([1, 2]);
    expect(jobCount(values)).toBe(2 * 2 * 3);
  });

  it("sends an uploaded file's key, not a sample, and leaves out an empty chat format", () => {
    const request = toCreateBatchRequest(form({ seedSource: "upload", seedKey: "seed-data/u/f.jsonl", chatFormat: "", sweepDatasets: ["poetry"] }));
    expect(request.job).toMatchObject({ seed_data_key: "seed-data/u/f.jsonl" });
    expect(request.job).not.toHaveProperty("sample_dataset");
    expect(request.job).not.toHaveProperty("chat_format");
    expect(request.sweep).not.toHaveProperty("sample_dataset");
  });

  it("sweeping sample datasets needs no base dataset", () => {
    const values = form({ sampleDataset: "", sweepDatasets: ["poetry", "recipes"], sweepRecords: "" });
    expect(validateBatchForm(values)).toEqual({});
    expect(toCreateBatchRequest(values).job.sample_dataset).toBe("poetry");
    expect(jobCount(values)).toBe(2);
  });

  it("says beside each field what is wrong", () => {
    const errors = validateBatchForm(
      form({ name: " ", sampleDataset: "", templateId: "", records: "2.5", budget: "0", sweepRecords: "3, x", sweepTemperature: "0.5, 1.5", models: "bad model" }),
    );
    expect(errors).toEqual({
      name: "Give the batch a name.",
      sampleDataset: "Choose a sample dataset.",
      templateId: "Choose a template.",
      records: "Enter a whole number.",
      budget: "Must be greater than 0.",
      models: '"bad model" is not a model id or tier.',
      sweepRecords: "Whole numbers from 1 to 1,000,000, separated by commas.",
      sweepTemperature: "Numbers from 0 to 1, separated by commas.",
    });
  });

  it("refuses a value listed twice and a sweep with nothing to vary", () => {
    expect(validateBatchForm(form({ sweepRecords: "4, 4" })).sweepRecords).toBe("4 is listed twice.");
    expect(validateBatchForm(form({ tiers: ["tier-1"], models: "tier-1" })).models).toBe("tier-1 is listed twice.");
    expect(validateBatchForm(form({ sweepRecords: "" })).sweep).toBe("Choose at least one value to vary.");
    expect(validateBatchForm(form({ seedSource: "upload", uploading: true })).seedKey).toBe("Wait for the upload to finish.");
  });

  it("leaves the 20-job limit to the server, whose message goes beside the sweep", () => {
    const values = form({ sweepRecords: "1, 2, 3, 4, 5, 6, 7", sweepTemperature: "0.1, 0.5, 0.9" });
    expect(jobCount(values)).toBe(21);
    expect(validateBatchForm(values)).toEqual({});
    const message = "this sweep makes 21 jobs (3 temperature x 7 records); a batch holds at most 20";
    expect(serverFieldError(message)).toEqual({ field: "sweep", message });
  });

  it("maps the server's `where: what` messages to fields", () => {
    expect(serverFieldError("sweep.records.0: records 0 is not between 1 and 1,000,000")).toEqual({
      field: "sweepRecords",
      message: "records 0 is not between 1 and 1,000,000",
    });
    expect(serverFieldError("job.budget_usd: Input should be greater than 0")).toEqual({ field: "budget", message: "Input should be greater than 0" });
    expect(serverFieldError("sweep: Value error, temperature 2 is not between 0 and 1")?.field).toBe("sweep");
    expect(serverFieldError("job 3 (model=no-such-model, records=1): unknown model")).toBeNull();
    expect(serverFieldError("template t-1 not found")).toBeNull();
  });
});

function row(overrides: Partial<BatchJobRow> = {}): BatchJobRow {
  return {
    job_id: "a",
    name: "sweep (records=2)",
    params: { records: 2 },
    status: "COMPLETED",
    records: 2,
    record_count: 2,
    cost_usd: 0.002,
    cost_per_record_usd: 0.001,
    duration_seconds: 3,
    quality: null,
    quality_score: null,
    ...overrides,
  };
}

describe("batch comparison", () => {
  it("the best job is the highest judged, a tie going to the lower cost per record", () => {
    const rows = [
      row({ job_id: "a", quality_score: 4.5, cost_per_record_usd: 0.003 }),
      row({ job_id: "b", quality_score: 4.5, cost_per_record_usd: 0.001 }),
      row({ job_id: "c", quality_score: 3.9, cost_per_record_usd: 0.0001 }),
    ];
    expect(bestJob(rows)?.job_id).toBe("b");
  });

  it("without scores the best is the cheapest per record among completed jobs; unfinished jobs never count", () => {
    const rows = [
      row({ job_id: "a", cost_per_record_usd: 0.002 }),
      row({ job_id: "b", status: "BUDGET_EXCEEDED", cost_per_record_usd: 0.0001 }),
      row({ job_id: "c", cost_per_record_usd: 0.001 }),
      row({ job_id: "d", status: "RUNNING", quality_score: 5, cost_per_record_usd: 0.00001 }),
    ];
    expect(bestJob(rows)?.job_id).toBe("c");
    expect(bestJob([row({ status: "RUNNING" }), row({ job_id: "z", records: 0, cost_per_record_usd: null })])).toBeNull();
  });

  it("quality reads pending, a score with a key statistic, or a dash", () => {
    expect(qualityCell(row({ status: "RUNNING" }))).toEqual({ overall: "pending", detail: null });
    expect(qualityCell(row())).toEqual({ overall: "—", detail: null });
    expect(
      qualityCell(row({ quality: { status: "COMPLETED", stats: { distinct_2: 0.8123, exact_duplicates: 1 }, judge: { overall: 4.25 } } })),
    ).toEqual({ overall: "4.3 / 5", detail: "distinct-2 0.81 · 1 duplicate" });
    expect(qualityCell(row({ quality: { status: "COMPLETED", stats: { distinct_2: 0.5, exact_duplicates: 0 }, judge: null } })).overall).toBe("—");
    expect(qualityCell(row({ quality: { status: "SKIPPED", reason: "the job has no records to assess" } }))).toEqual({
      overall: "skipped",
      detail: "the job has no records to assess",
    });
  });

  it("shows swept values as the user chose them", () => {
    expect(formatParam("model", { answer: "tier-3" })).toBe("{answer: tier-3}");
    expect(formatParam("template_version", 2)).toBe("v2");
    expect(formatParam("temperature", 0.7)).toBe("0.7");
    expect(formatParam("records", undefined)).toBe("—");
  });
});
