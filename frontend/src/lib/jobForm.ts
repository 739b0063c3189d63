// The new-job form's values, its client-side checks (the API's rules, said beside each field),
// and the request it becomes.
import type { CreateJobRequest } from "../api/types";
import { blankJobFields, checkJobFields, type JobFieldValues } from "./jobFields";

export interface JobFormValues extends JobFieldValues {
  priority: string;
  categoryField: string;
}

export type JobFormErrors = Partial<Record<keyof JobFormValues, string>>;

const CATEGORY_FIELD = /^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)*$/;

export const initialJobForm: JobFormValues = {
  ...blankJobFields,
  records: "100",
  budget: "1.00",
  priority: "5",
  categoryField: "",
  chatFormat: "",
};

function isNumber(text: string): boolean {
  return text.trim() !== "" && Number.isFinite(Number(text));
}

export function validateJobForm(values: JobFormValues): JobFormErrors {
  const errors: JobFormErrors = checkJobFields(values, { noun: "job", recordsMissing: "Enter how many records to generate." });

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
