// Batches (parameter sweeps): estimate one, create it, list them, compare a batch's jobs, cancel
// its unfinished jobs. The shapes are those of src/plot_palette/api/models_batches.py; the calls go
// through ApiClient.request so they share its token, 401 and error-message handling.
import { useQuery } from "@tanstack/react-query";
import { useApi } from "../auth/AuthContext";
import type { ApiClient } from "./client";
import { ACTIVE_REFRESH_MS } from "./hooks";
import type { CreateJobRequest, Job } from "./types";

/** A model id or tier for every step, or `{step id: model or tier}` for the named steps. */
export type ModelChoice = string | Record<string, string>;

/** The values to try along each dimension; the jobs are every combination (at most 20). */
export interface Sweep {
  model?: ModelChoice[];
  temperature?: number[];
  template_version?: number[];
  seed_data_key?: string[];
  sample_dataset?: string[];
  records?: number[];
}

export type Dimension = keyof Sweep;

export interface CreateBatchRequest {
  name: string;
  job: CreateJobRequest;
  sweep: Sweep;
}

/** The quality step's result on a job (the lead's contract: `quality` decoded). */
export interface Quality {
  status: string;
  reason?: string | null;
  stats?: {
    records?: number;
    distinct_1?: number;
    distinct_2?: number;
    exact_duplicates?: number;
    near_duplicates?: number;
    length?: Record<string, number>;
  } | null;
  judge?: {
    model?: string;
    sampled?: number;
    coherence?: number;
    relevance?: number;
    format_compliance?: number;
    overall?: number;
    cost_usd?: number;
  } | null;
}

export interface BatchJobRow {
  job_id: string;
  name: string;
  params: Record<string, unknown>;
  status: string;
  records: number;
  record_count: number;
  cost_usd: number;
  cost_per_record_usd: number | null;
  estimated_cost_usd?: number | null;
  duration_seconds: number | null;
  quality: Quality | null;
  quality_score: number | null;
  created_at?: string | null;
}

export interface BatchBest {
  cost_per_record: string | null;
  quality: string | null;
  duration: string | null;
  records: string | null;
  overall: string | null;
}

export interface Batch {
  batch_id: string;
  name: string;
  created_at: string;
  /** Derived from the jobs: QUEUED, RUNNING, COMPLETED, PARTIAL, FAILED or CANCELLED. */
  status: string;
  job_count: number;
  status_counts: Record<string, number>;
  dimensions: string[];
  sweep: Record<string, unknown[]>;
  /** Why not every job was queued (the ones that were are cancelled). */
  error?: string | null;
  estimated_cost_usd: number | null;
  cost_usd: number;
  records: number;
  jobs: BatchJobRow[];
  best: BatchBest;
}

export interface BatchSummary {
  batch_id: string;
  name: string;
  created_at: string;
  job_count: number;
  dimensions: string[];
  estimated_cost_usd: number | null;
}

export interface BatchPage {
  batches: BatchSummary[];
  next_cursor: string | null;
}

export interface BatchEstimate {
  job_count: number;
  expected_cost_usd: number;
  max_cost_usd: number;
  jobs: { params: Record<string, unknown>; name: string; expected_cost_usd: number }[];
}

export const MAX_BATCH_JOBS = 20;
/** The batch statuses that no longer change (a batch is final when all its jobs are). */
export const BATCH_FINAL: readonly string[] = ["COMPLETED", "PARTIAL", "FAILED", "CANCELLED"];

export const batchKeys = {
  all: ["batches"] as const,
  list: ["batches", "list"] as const,
  one: (batchId: string) => ["batches", "one", batchId] as const,
};

export function batchesApi(api: ApiClient) {
  return {
    estimate: (request: CreateBatchRequest) => api.request<BatchEstimate>("POST", "/batches/estimate", request),
    create: (request: CreateBatchRequest, idempotencyKey: string) =>
      api.submit<{ batch: Batch; jobs: Job[] }>("/batches", request, idempotencyKey),
    list: () => api.request<BatchPage>("GET", "/batches?limit=100"),
    get: (batchId: string) => api.request<Batch>("GET", `/batches/${encodeURIComponent(batchId)}`),
    cancel: (batchId: string) => api.request<Batch>("DELETE", `/batches/${encodeURIComponent(batchId)}`),
  };
}

/** How many jobs a sweep makes: the product of its dimensions' value counts (0 when none). */
export function sweepSize(sweep: Sweep): number {
  const counts = Object.values(sweep)
    .filter((values): values is unknown[] => Array.isArray(values) && values.length > 0)
    .map((values) => values.length);
  return counts.length === 0 ? 0 : counts.reduce((a, b) => a * b, 1);
}

/** Refresh every 2 s while any job of the batch is unfinished; a final batch no longer changes. */
export function batchRefetchInterval(batch: Batch | undefined): number | false {
  if (!batch) return ACTIVE_REFRESH_MS;
  return BATCH_FINAL.includes(batch.status) ? false : ACTIVE_REFRESH_MS;
}

export function useBatches() {
  const api = useApi();
  return useQuery({ queryKey: batchKeys.list, queryFn: () => batchesApi(api).list(), select: (d) => d.batches });
}

export function useBatch(batchId: string) {
  const api = useApi();
  return useQuery({
    queryKey: batchKeys.one(batchId),
    queryFn: () => batchesApi(api).get(batchId),
    refetchInterval: (q) => (q.state.error ? false : batchRefetchInterval(q.state.data)),
  });
}
