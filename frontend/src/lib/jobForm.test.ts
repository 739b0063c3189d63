import { describe, expect, it } from "vitest";
import { initialJobForm, serverFieldError, toCreateJobRequest, validateJobForm, type JobFormValues } from "./jobForm";

const valid: JobFormValues = {
  ...initialJobForm,
  name: "Poetry",
  sampleDataset: "poetry",
  templateId: "poem-questions",
  templateVersion: "1",
  records: "12",
  budget: "1",
};

describe("validateJobForm", () => {
  it("accepts a complete form", () => {
    expect(validateJobForm(valid)).toEqual({});
  });

  it("requires a name, seed data and a template", () => {
    expect(validateJobForm({ ...initialJobForm })).toEqual({
      name: "Give the job a name.",
      sampleDataset: "Choose a sample dataset.",
      templateId: "Choose a template.",
    });
    expect(validateJobForm({ ...valid, name: "   " }).name).toBe("Give the job a name.");
  });

  it("wants an uploaded file when uploading, and waits for the upload", () => {
    expect(validateJobForm({ ...valid, seedSource: "upload" }).seedKey).toBe("Choose a seed data file to upload.");
    expect(validateJobForm({ ...valid, seedSource: "upload", uploading: true }).seedKey).toBe("Wait for the upload to finish.");
    expect(validateJobForm({ ...valid, seedSource: "upload", seedKey: "seed-data/u/k/f.jsonl" })).toEqual({});
  });

  it.each([
    ["", "Enter how many records to generate."],
    ["abc", "Enter a whole number."],
    ["2.5", "Enter a whole number."],
    ["0", "Must be greater than 0."],
    ["-3", "Must be greater than 0."],
    ["1000001", "At most 1,000,000."],
  ])("records %j: %s", (records, message) => {
    expect(validateJobForm({ ...valid, records }).records).toBe(message);
  });

  it.each([
    ["", "Enter a budget."],
    ["ten", "Enter an amount in dollars."],
    ["0", "Must be greater than 0."],
    ["-1", "Must be greater than 0."],
    ["10000.01", "At most $10,000."],
  ])("budget %j: %s", (budget, message) => {
    expect(validateJobForm({ ...valid, budget }).budget).toBe(message);
  });

  it("checks priority and the category field path", () => {
    expect(validateJobForm({ ...valid, priority: "10" }).priority).toBeDefined();
    expect(validateJobForm({ ...valid, priority: "0" }).priority).toBeUndefined();
    expect(validateJobForm({ ...valid, categoryField: "fields.category" }).categoryField).toBeUndefined();
    expect(validateJobForm({ ...valid, categoryField: "fields..category" }).categoryField).toBeDefined();
    expect(validateJobForm({ ...valid, categoryField: "a-b" }).categoryField).toBeDefined();
  });
});

describe("toCreateJobRequest", () => {
  it("sends a sample dataset or an uploaded key, never both", () => {
    expect(toCreateJobRequest({ ...valid, name: " Poetry ", categoryField: "" })).toEqual({
      name: "Poetry",
      records: 12,
      budget_usd: 1,
      priority: 5,
      category_field: null,
      template_id: "poem-questions",
      template_version: 1,
      sample_dataset: "poetry",
    });
    const upload = toCreateJobRequest({ ...valid, seedSource: "upload", seedKey: "seed-data/u/f.jsonl", categoryField: "fields.category" });
    expect(upload.seed_data_key).toBe("seed-data/u/f.jsonl");
    expect(upload).not.toHaveProperty("sample_dataset");
    expect(upload.category_field).toBe("fields.category");
  });

  it("sends a chat format only when one is chosen", () => {
    expect(toCreateJobRequest({ ...valid, chatFormat: "sharegpt" }).chat_format).toBe("sharegpt");
    expect(toCreateJobRequest({ ...valid, chatFormat: "" })).not.toHaveProperty("chat_format");
    expect(serverFieldError("chat_format: Input should be 'messages'")?.field).toBe("chatFormat");
  });
});

describe("serverFieldError", () => {
  it("finds the field a 422 message is about", () => {
    expect(serverFieldError("records: Input should be greater than 0")).toEqual({ field: "records", message: "Input should be greater than 0" });
    expect(serverFieldError("budget_usd: Input should be less than or equal to 10000")?.field).toBe("budget");
    expect(serverFieldError("Missing required field: author.name (record 3)")).toBeNull();
    expect(serverFieldError("step 'a': attribute 'b' is not allowed (line 1)")).toBeNull();
  });
});
