// Template test runs (POST /templates/test-run): a template's steps on 1–5 seed records, with
// every step's prompt, output, tokens and cost. "local" (the default) is free.
import type { ApiClient } from "./client";

/** What answered a call: the local model endpoint, the in-process dry run (AWS), or Bedrock. */
export type AnsweredBy = "local-endpoint" | "dry-run" | "bedrock";

export interface TestRunRequest {
  template?: Record<string, unknown>;
  template_id?: string;
  template_version?: number;
  seeds?: Record<string, unknown>[];
  seed_data_key?: string;
  sample_dataset?: string;
  count?: number;
  model?: string;
}

export interface TestRunStep {
  step_id: string;
  model_id: string;
  answered_by: AnsweredBy;
  prompt: string | null;
  output: string | null;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
  error: string | null;
}

export interface TestRunSeed {
  seed_index: number;
  seed: Record<string, unknown>;
  error: string | null;
  steps: TestRunStep[];
}

export interface TestRunResult {
  template_id: string;
  template_version: number;
  model: string;
  answered_by: AnsweredBy;
  max_cost_usd: number;
  seeds: TestRunSeed[];
  totals: { calls: number; input_tokens: number; output_tokens: number; cost_usd: number; errors: number };
}

export const MAX_TEST_SEEDS = 5;

/** The model choices a test run or a seed generation offers (the API accepts any model id too). */
export const MODEL_CHOICES: { value: string; label: string }[] = [
  { value: "local", label: "Local model (free)" },
  { value: "template", label: "Each step's own model (billed)" },
  { value: "tier-1", label: "Cheap tier for every step (billed)" },
  { value: "tier-2", label: "Balanced tier for every step (billed)" },
  { value: "tier-3", label: "Premium tier for every step (billed)" },
];

/** A person's words for what answered. */
export function answeredByLabel(answeredBy: AnsweredBy): string {
  switch (answeredBy) {
    case "local-endpoint":
      return "the local model endpoint (free)";
    case "dry-run":
      return "the dry-run model: deterministic text made here, no model was called (free)";
    default:
      return "Bedrock (billed)";
  }
}

export function runTemplateTest(api: ApiClient, request: TestRunRequest): Promise<TestRunResult> {
  return api.request<TestRunResult>("POST", "/templates/test-run", request);
}

/**
 * Seed records typed by a person: a JSON object, a JSON array of objects, or JSON Lines.
 * Returns the records, or a message saying what is wrong.
 */
export function parseSeedText(text: string): { ok: true; records: Record<string, unknown>[] } | { ok: false; message: string } {
  const trimmed = text.trim();
  if (!trimmed) return { ok: false, message: "Give at least one seed record." };
  const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);
  try {
    const whole: unknown = JSON.parse(trimmed);
    const list = Array.isArray(whole) ? whole : [whole];
    if (!list.every(isRecord)) return { ok: false, message: "Every seed record must be a JSON object." };
    if (list.length === 0) return { ok: false, message: "Give at least one seed record." };
    return { ok: true, records: list };
  } catch {
    // not one JSON document: try JSON Lines
  }
  const records: Record<string, unknown>[] = [];
  const lines = trimmed.split(/\r?\n/);
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!.trim();
    if (!line) continue;
    try {
      const value: unknown = JSON.parse(line);
      if (!isRecord(value)) return { ok: false, message: `Line ${index + 1} is not a JSON object.` };
      records.push(value);
    } catch (error) {
      return { ok: false, message: `Line ${index + 1} is not valid JSON: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return { ok: true, records };
}
