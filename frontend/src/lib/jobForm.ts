// The new-job form's values, its client-side checks (the API's rules, said beside each field),
// and the request it becomes.
import type { ChatFormat, CreateJobRequest } from "../api/types";

export type SeedSource = "sample" | "upload";

export interface JobFormValues {
  name: string;
  seedSource: SeedSource;
  sampleDataset: string;
  /** The key POST /seed-data gave for the uploaded file ("" until the upload finished). */
  seedKey: string;
  uploading: boolean;
  templateId: string;
  templateVersion: string;
  records: string;
  budget: string;
  priority: string;
  categoryField: string;
  /** "" for none: the chat export is written only when the job names a format. */
  chatFormat: ChatFormat | "";
}

export type JobFormErrors = Partial<Record<keyof JobFormValues, string>>;

export const MAX_RECORDS = 1_000_000;
export const MAX_BUDGET = 10_000;
const CATEGORY_FIELD = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

export const initialJobForm: JobFormValues = {
  name: "",
  seedSource: "sample",
  sampleDataset: "",
  seedKey: "",
  uploading: false,
  templateId: "",
  templateVersion: "",
  records: "100",
  budget: "1.00",
  priority: "5",
  categoryField: "",
  chatFormat: "",
};

export const CHAT_FORMATS: { value: ChatFormat; label: string }[] = [
  { value: "messages", label: "Messages (role / content)" },
  { value: "sharegpt", label: "ShareGPT (from / value)" },
  { value: "prompt_completion", label: "Prompt / completion" },
];

function isNumber(text: string): boolean {
  return text.trim() !== "" && Number.isFinite(Number(text));
}

export function validateJobForm(values: JobFormValues): JobFormErrors {
  const errors: JobFormErrors = {};
  const name = values.name.trim();
  if (!name) errors.name = "Give the job a name.";
  else if (name.length > 200) errors.name = "At most 200 characters.";

  if (values.seedSource === "sample") {
    if (!values.sampleDataset) errors.sampleDataset = "Choose a sample dataset.";
  } else if (values.uploading) {
    errors.seedKey = "Wait for the upload to finish.";
  } else if (!values.seedKey) {
    errors.seedKey = "Choose a seed data file to upload.";
  }

  if (!values.templateId) errors.templateId = "Choose a template.";

  if (!values.records.trim()) errors.records = "Enter how many records to generate.";
  else if (!isNumber(values.records) || !Number.isInteger(Number(values.records)))
    errors.records = "Enter a whole number.";
  else if (Number(values.records) <= 0) errors.records = "Must be greater than 0.";
  else if (Number(values.records) > MAX_RECORDS) errors.records = `At most ${MAX_RECORDS.toLocaleString("en-US")}.`;

  if (!values.budget.trim()) errors.budget = "Enter a budget.";
  else if (!isNumber(values.budget)) errors.budget = "Enter an amount in dollars.";
  else if (Number(values.budget) <= 0) errors.budget = "Must be greater than 0.";
  else if (Number(values.budget) > MAX_BUDGET) errors.budget = `At most $${MAX_BUDGET.toLocaleString("en-US")}.`;

  const priority = Number(values.priority);
  if (!isNumber(values.priority) || !Number.isInteger(priority) || priority < 0 || priority > 9)
    errors.priority = "A whole number from 0 to 9.";

  const category = values.categoryField.trim();
  if (category && (category.length > 200 || !CATEGORY_FIELD.test(category)))
    errors.categoryField = "A dotted field path such as fields.category (letters, digits, _).";

  return errors;
}

export function toCreateJobRequest(values: JobFormValues): CreateJobRequest {
  const category = values.categoryField.trim();
  return {
    name: values.name.trim(),
    records: Number(values.records),
    budget_usd: Number(values.budget),
    priority: Number(values.priority),
    category_field: category || null,
    ...(values.chatFormat ? { chat_format: values.chatFormat } : {}),
    template_id: values.templateId,
    template_version: values.templateVersion ? Number(values.templateVersion) : null,
    ...(values.seedSource === "sample" ? { sample_dataset: values.sampleDataset } : { seed_data_key: values.seedKey }),
  };
}

const SERVER_FIELDS: Record<string, keyof JobFormValues> = {
  name: "name",
  records: "records",
  budget_usd: "budget",
  priority: "priority",
  category_field: "categoryField",
  chat_format: "chatFormat",
  sample_dataset: "sampleDataset",
  seed_data_key: "seedKey",
  template_id: "templateId",
  template_version: "templateVersion",
};

/** The form field a server message like "records: Input should be greater than 0" is about. */
export function serverFieldError(message: string): { field: keyof JobFormValues; message: string } | null {
  const match = /^([a-z_]+)(?:\.[^:]*)?:\s*(.+)$/s.exec(message);
  if (!match) return null;
  const field = SERVER_FIELDS[match[1]!];
  return field ? { field, message: match[2]! } : null;
}
