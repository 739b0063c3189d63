// The new-batch form: a base job (seed data, template version, size, budget, chat format) and the
// values to sweep, checked beside each field and turned into POST /batches (and /estimate) bodies.
// The 20-job limit is the server's: the form shows the count, the server's message says which
// dimensions make it too many (the estimate shows it before anything is submitted).
import type { CreateBatchRequest, ModelChoice, Sweep } from "../api/batches";
import { sweepSize } from "../api/batches";
import { blankJobFields, checkJobFields, MAX_RECORDS, type JobFieldValues } from "./jobFields";

export interface BatchFormValues extends JobFieldValues {
  /** "" puts each model value on every step; a step id puts it on that step only. */
  modelStep: string;
  /** Tiers to try (tier-1, tier-2, tier-3). */
  tiers: string[];
  /** More model ids or tiers to try, comma-separated. */
  models: string;
  /** Template versions to try (they replace the base version). */
  versions: number[];
  /** Comma-separated values ("" = not swept). */
  sweepRecords: string;
  sweepTemperature: string;
  /** Sample datasets to try (they replace the base seed data). */
  sweepDatasets: string[];
}

export type BatchFormField = keyof BatchFormValues | "sweep";
export type BatchFormErrors = Partial<Record<BatchFormField, string>>;

export const TIERS = [
  { value: "tier-1", label: "Tier 1 (cheap)" },
  { value: "tier-2", label: "Tier 2 (balanced)" },
  { value: "tier-3", label: "Tier 3 (premium)" },
];

export const initialBatchForm: BatchFormValues = {
  ...blankJobFields,
  records: "10",
  budget: "1.00",
  chatFormat: "messages",
  modelStep: "",
  tiers: [],
  models: "",
  versions: [],
  sweepRecords: "",
  sweepTemperature: "",
  sweepDatasets: [],
};

// The API's patterns (models_batches.py) for a model id or tier.
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;

function parts(text: string): string[] {
  return text
    .split(",")
    .map((part) => part.trim())
    .filter(Boolean);
}

/** "5, 10,20" -> [5, 10, 20]; "" -> []; null when a part is not a number. */
export function parseNumbers(text: string): number[] | null {
  const numbers = parts(text).map(Number);
  return numbers.every((n) => Number.isFinite(n)) ? numbers : null;
}

/** The first value listed twice, if any (the server refuses a sweep that repeats one). */
function repeated<T>(values: T[]): T | undefined {
  const seen = new Set<string>();
  for (const value of values) {
    const key = JSON.stringify(value);
    if (seen.has(key)) return value;
    seen.add(key);
  }
  return undefined;
}

/** The model values: tiers ticked, then the ids typed; on every step or on the chosen one. */
export function modelValues(values: BatchFormValues): ModelChoice[] {
  const names = [...values.tiers, ...parts(values.models)];
  return names.map((name) => (values.modelStep ? { [values.modelStep]: name } : name));
}

export function toSweep(values: BatchFormValues): Sweep {
  const sweep: Sweep = {};
  const models = modelValues(values);
  if (models.length) sweep.model = models;
  const temperature = parseNumbers(values.sweepTemperature);
  if (temperature && temperature.length) sweep.temperature = temperature;
  if (values.versions.length) sweep.template_version = [...values.versions].sort((a, b) => a - b);
  if (values.seedSource === "sample" && values.sweepDatasets.length) sweep.sample_dataset = values.sweepDatasets;
  const records = parseNumbers(values.sweepRecords);
  if (records && records.length) sweep.records = records;
  return sweep;
}

/** How many jobs the form's sweep makes. */
export function jobCount(values: BatchFormValues): number {
  return sweepSize(toSweep(values));
}

export function validateBatchForm(values: BatchFormValues): BatchFormErrors {
  // A batch sweeping sample datasets needs no base one.
  const sweepingDatasets = values.seedSource === "sample" && values.sweepDatasets.length > 0;
  const errors: BatchFormErrors = checkJobFields(values, { noun: "batch", recordsMissing: "Enter how many records each job makes." }, sweepingDatasets);

  const typed = parts(values.models);
  const badModel = typed.find((model) => !MODEL_NAME.test(model));
  const twiceModel = repeated([...values.tiers, ...typed]);
  if (badModel) errors.models = `"${badModel}" is not a model id or tier.`;
  else if (twiceModel !== undefined) errors.models = `${twiceModel} is listed twice.`;

  const swept = parseNumbers(values.sweepRecords);
  if (swept === null || swept.some((n) => !Number.isInteger(n) || n <= 0 || n > MAX_RECORDS))
    errors.sweepRecords = `Whole numbers from 1 to ${MAX_RECORDS.toLocaleString("en-US")}, separated by commas.`;
  else if (repeated(swept) !== undefined) errors.sweepRecords = `${repeated(swept)} is listed twice.`;

  const temperatures = parseNumbers(values.sweepTemperature);
  if (temperatures === null || temperatures.some((t) => t < 0 || t > 1))
    errors.sweepTemperature = "Numbers from 0 to 1, separated by commas.";
  else if (repeated(temperatures) !== undefined) errors.sweepTemperature = `${repeated(temperatures)} is listed twice.`;

  if (!errors.sweepRecords && !errors.sweepTemperature && !errors.models && jobCount(values) === 0)
    errors.sweep = "Choose at least one value to vary.";
  return errors;
}

export function toCreateBatchRequest(values: BatchFormValues): CreateBatchRequest {
  const name = values.name.trim();
  const sweep = toSweep(values);
  const seed =
    values.seedSource === "sample"
      ? { sample_dataset: values.sampleDataset || sweep.sample_dataset?.[0] || null }
      : { seed_data_key: values.seedKey };
  return {
    name,
    job: {
      name,
      template_id: values.templateId,
      template_version: values.templateVersion ? Number(values.templateVersion) : null,
      records: Number(values.records),
      budget_usd: Number(values.budget),
      ...(values.chatFormat ? { chat_format: values.chatFormat } : {}),
      ...seed,
    },
    sweep,
  };
}

// Where the API's `where: what` messages point (e.g. "sweep.records.0: Input should be …").
const SERVER_FIELDS: Record<string, BatchFormField> = {
  name: "name",
  "job.name": "name",
  "job.records": "records",
  "job.budget_usd": "budget",
  "job.chat_format": "chatFormat",
  "job.sample_dataset": "sampleDataset",
  "job.seed_data_key": "seedKey",
  "job.template_id": "templateId",
  "job.template_version": "templateVersion",
  "sweep.model": "models",
  "sweep.temperature": "sweepTemperature",
  "sweep.template_version": "versions",
  "sweep.sample_dataset": "sweepDatasets",
  "sweep.records": "sweepRecords",
  sweep: "sweep",
};

/** The form field a server message is about, so it can be shown beside it (null: none). */
export function serverFieldError(message: string): { field: BatchFormField; message: string } | null {
  if (/^this sweep makes \d+ jobs/.test(message)) return { field: "sweep", message };
  const match = /^([a-z_]+(?:\.[a-z_]+)?)(?:\.[^:\s]*)?:\s*(.+)$/s.exec(message);
  if (!match) return null;
  const where = match[1]!;
  const field = SERVER_FIELDS[where] ?? SERVER_FIELDS[where.split(".")[0]!];
  return field ? { field, message: match[2]! } : null;
}
