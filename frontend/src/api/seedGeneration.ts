// Seed data generation (POST /seed-data/generate): JSONL written by a model from a template's
// required fields, saved under the caller's seed prefix and usable as a job's seed_data_key.
import type { ApiClient } from "./client";
import type { AnsweredBy } from "./testRuns";

export const MAX_GENERATED_SEEDS = 100;

export interface SeedGenerationRequest {
  template_id: string;
  version?: number;
  count: number;
  model?: string;
  instructions?: string;
}

export interface GeneratedSeedData {
  key: string;
  download_url: string;
  records: number;
  requested: number;
  dropped: number;
  fields: string[];
  preview: Record<string, unknown>[];
  model_id: string;
  answered_by: AnsweredBy;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

export function generateSeedData(api: ApiClient, request: SeedGenerationRequest): Promise<GeneratedSeedData> {
  return api.request<GeneratedSeedData>("POST", "/seed-data/generate", request);
}
