// The API's shapes, from docs/openapi.json (generated from the backend). Open objects
// (`additionalProperties: true`) get the fields the backend's views actually return.

export type JobStatus =
  | "QUEUED"
  | "RUNNING"
  | "EXPORTING"
  | "COMPLETED"
  | "FAILED"
  | "CANCELLED"
  | "BUDGET_EXCEEDED";

export const ACTIVE_STATUSES: readonly string[] = ["QUEUED", "RUNNING", "EXPORTING"];
export const FINAL_STATUSES: readonly string[] = ["COMPLETED", "FAILED", "CANCELLED", "BUDGET_EXCEEDED"];

export function isActive(status: string): boolean {
  return ACTIVE_STATUSES.includes(status);
}

export function isFinal(status: string): boolean {
  return FINAL_STATUSES.includes(status);
}

export interface Job {
  job_id: string;
  name: string;
  status: JobStatus | string;
  created_at: string;
  record_count: number;
  budget_usd: number;
  records_generated?: number;
  cost_usd?: number;
  estimated_cost_usd?: number | null;
  updated_at?: string | null;
  started_at?: string | null;
  finished_at?: string | null;
  cancelled_at?: string | null;
  template_id?: string | null;
  template_version?: number | null;
  tokens_used?: number | null;
  priority?: number | null;
  category_field?: string | null;
  chat_format?: ChatFormat | null;
  batch_id?: string | null;
  error?: string | null;
  records_failed?: number;
  record_failures?: RecordFailures | null;
  exports?: string[] | null;
  quality_sample?: number | null;
  quality?: Quality | null;
}

/** The quality step's verdict on a finished job (statistics on all records, a judged sample). */
export interface QualityStats {
  records: number;
  distinct_1: number;
  distinct_2: number;
  length: { min: number; p50: number; p90: number; max: number; mean: number };
  exact_duplicates: number;
  near_duplicates: number;
}

export interface QualityJudge {
  model: string;
  sampled: number;
  coherence: number;
  relevance: number;
  format_compliance: number;
  overall: number;
  cost_usd: number;
}

export interface Quality {
  status: "COMPLETED" | "SKIPPED" | "FAILED" | string;
  reason?: string | null;
  stats?: QualityStats | null;
  judge?: QualityJudge | null;
}

export interface JobPage {
  jobs: Job[];
  next_cursor?: string | null;
}

export interface EstimateStep {
  step_id?: string;
  model_id?: string;
  [key: string]: unknown;
}

export interface Estimate {
  records: number;
  expected_cost_usd: number;
  max_cost_usd: number;
  expected_input_tokens: number;
  expected_output_tokens: number;
  expected_tokens: number;
  steps: EstimateStep[];
}

export type ChatFormat = "messages" | "sharegpt" | "prompt_completion";

export interface CreateJobRequest {
  name: string;
  records: number;
  budget_usd: number;
  priority?: number;
  category_field?: string | null;
  chat_format?: ChatFormat | null;
  sample_dataset?: string | null;
  seed_data_key?: string | null;
  template_id?: string | null;
  template_version?: number | null;
}

export interface CreateJobResponse {
  job: Job;
  estimate: Estimate;
}

/** Records the worker gave up on: counts by error and the first few reasons. */
export interface RecordFailures {
  by_error: Record<string, number>;
  examples: { record: number; error: string; reason: string }[];
}

export interface Progress {
  records_generated: number;
  records_failed?: number;
  record_count: number;
  percent: number;
  records_per_second: number;
  eta_seconds: number | null;
}

export interface Cost {
  bedrock_usd: number;
  fargate_usd: number;
  s3_usd: number;
  total_usd: number;
  budget_usd: number;
  budget_used_percent: number;
  estimated_usd?: number | null;
}

export interface CostPoint {
  timestamp: string;
  cost_usd: number;
  records_generated: number;
}

export interface Interruptions {
  relaunches: number;
  last_interruption?: string | Record<string, unknown> | null;
}

export interface Archive {
  archived: boolean;
  storage_class?: string;
  note?: string;
}

export interface Dashboard {
  job: Job;
  progress: Progress;
  cost: Cost;
  cost_history: CostPoint[];
  interruptions: Interruptions;
  sample_records: Record<string, unknown>[];
  downloads: Record<string, string>;
  archive: Archive;
}

export interface SampleDataset {
  name: string;
  key: string;
  size_bytes: number;
}

export interface SeedUploadRequest {
  filename: string;
  content_type: string;
  size_bytes: number;
}

export interface SeedUpload {
  key: string;
  upload_url: string;
  headers: Record<string, string>;
  expires_in: number;
}

export interface SeedValidationRequest {
  template_id: string;
  template_version?: number | null;
  sample_dataset?: string | null;
  seed_data_key?: string | null;
}

export interface SeedValidation {
  valid: boolean;
  records: number;
  required_fields: string[];
  missing: { record: number; fields: string[] }[];
}

export interface TemplateStepDoc {
  id: string;
  prompt: string;
  model?: string | null;
  model_tier?: string | null;
  max_tokens?: number | null;
  temperature?: number | null;
}

export interface TemplateDocumentBody {
  id?: string;
  name?: string;
  version?: number;
  description?: string | null;
  schema_requirements?: string[] | null;
  steps?: TemplateStepDoc[];
  output?: Record<string, string> | null;
  [key: string]: unknown;
}

export interface Template {
  template_id: string;
  version: number;
  latest_version: number;
  owner: "you" | "builtin" | string;
  saved_at: string;
  document: TemplateDocumentBody;
}

export interface TemplateSummary {
  template_id: string;
  name: string;
  description?: string | null;
  latest_version: number;
  owner: "you" | "builtin" | string;
  updated_at: string;
}

export interface TemplateVersion {
  version: number;
  name: string;
  created_at?: string | null;
}

export interface TemplateVersions {
  template_id: string;
  versions: TemplateVersion[];
}

/** One quota: its limit and, for the counted ones, what is used of it. */
export interface QuotaFigure {
  limit: number;
  used?: number | null;
}

/** The caller's quotas (set per deployment) and what is used of them (GET /quotas). */
export interface Allowance {
  day: string;
  month: string;
  spend_per_day_usd: QuotaFigure;
  spend_per_month_usd: QuotaFigure;
  jobs_queued: QuotaFigure;
  records_per_job: QuotaFigure;
  budget_per_job_usd: QuotaFigure;
}
