// What the new-job and new-batch forms share: the base job's fields (name, seed data, template
// version, size, budget, chat format) and their client-side checks, in the API's rules.
import type { ChatFormat } from "../api/types";

export type SeedSource = "sample" | "upload";

export interface JobFieldValues {
  name: string;
  seedSource: SeedSource;
  sampleDataset: string;
  /** The key POST /seed-data gave for the uploaded or generated file ("" until there is one). */
  seedKey: string;
  uploading: boolean;
  templateId: string;
  templateVersion: string;
  records: string;
  budget: string;
  /** "" for none: the chat export is written only when the job names a format. */
  chatFormat: ChatFormat | "";
}

/** The fields both forms start empty: a name, seed data, a template. */
export const blankJobFields = {
  name: "",
  seedSource: "sample",
  sampleDataset: "",
  seedKey: "",
  uploading: false,
  templateId: "",
  templateVersion: "",
} satisfies Partial<JobFieldValues>;

export type JobFieldErrors = Partial<Record<keyof JobFieldValues, string>>;

export const MAX_RECORDS = 1_000_000;
export const MAX_BUDGET = 10_000;

export const CHAT_FORMATS: { value: ChatFormat; label: string }[] = [
  { value: "messages", label: "Messages (role / content)" },
  { value: "sharegpt", label: "ShareGPT (from / value)" },
  { value: "prompt_completion", label: "Prompt / completion" },
];

export interface JobFieldWording {
  /** What is being named: "job" or "batch" ("Give the job a name."). */
  noun: string;
  /** Said when the record count is empty. */
  recordsMissing: string;
}

/**
 * The checks of the base job's fields: a name, seed data (a sample dataset, or a finished upload),
 * a template, a whole number of records and a budget within the API's limits. `sampleOptional`:
 * no sample dataset need be chosen (a batch sweeping sample datasets names them there).
 */
export function checkJobFields(values: JobFieldValues, wording: JobFieldWording, sampleOptional = false): JobFieldErrors {
  const errors: JobFieldErrors = {};
  const name = values.name.trim();
  if (!name) errors.name = `Give the ${wording.noun} a name.`;
  else if (name.length > 200) errors.name = "At most 200 characters.";

  if (values.seedSource === "sample") {
    if (!values.sampleDataset && !sampleOptional) errors.sampleDataset = "Choose a sample dataset.";
  } else if (values.uploading) {
    errors.seedKey = "Wait for the upload to finish.";
  } else if (!values.seedKey) {
    errors.seedKey = "Choose a seed data file to upload.";
  }

  if (!values.templateId) errors.templateId = "Choose a template.";

  const records = Number(values.records);
  if (!values.records.trim()) errors.records = wording.recordsMissing;
  else if (!Number.isInteger(records)) errors.records = "Enter a whole number.";
  else if (records <= 0) errors.records = "Must be greater than 0.";
  else if (records > MAX_RECORDS) errors.records = `At most ${MAX_RECORDS.toLocaleString("en-US")}.`;

  const budget = Number(values.budget);
  if (!values.budget.trim()) errors.budget = "Enter a budget.";
  else if (!Number.isFinite(budget)) errors.budget = "Enter an amount in dollars.";
  else if (budget <= 0) errors.budget = "Must be greater than 0.";
  else if (budget > MAX_BUDGET) errors.budget = `At most $${MAX_BUDGET.toLocaleString("en-US")}.`;

  return errors;
}
