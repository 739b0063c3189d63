// Server state through TanStack Query: jobs (cursor pages, polled while any is active), the job
// dashboard (polled until final), templates, sample datasets.
import { useInfiniteQuery, useQuery, type InfiniteData, type QueryClient } from "@tanstack/react-query";
import { useApi } from "../auth/AuthContext";
import type { ApiClient } from "./client";
import { isActive, isFinal, type Dashboard, type Job, type JobPage } from "./types";

export const ACTIVE_REFRESH_MS = 2000;
/** Presigned downloads last 15 minutes: a finished job's page renews them well before that. */
export const FINAL_REFRESH_MS = 10 * 60 * 1000;

export const queryKeys = {
  jobs: ["jobs"] as const,
  dashboard: (jobId: string) => ["dashboard", jobId] as const,
  templates: ["templates"] as const,
  template: (templateId: string, version: number | null) => ["template", templateId, version] as const,
  versions: (templateId: string) => ["template-versions", templateId] as const,
  sampleDatasets: ["sample-datasets"] as const,
  quotas: ["quotas"] as const,
};

/** Every job of the loaded pages, in order, without duplicates (a job can move between pages). */
export function flattenJobs(data: InfiniteData<JobPage> | undefined): Job[] {
  const seen = new Set<string>();
  const jobs: Job[] = [];
  for (const page of data?.pages ?? []) {
    for (const job of page.jobs) {
      if (!seen.has(job.job_id)) {
        seen.add(job.job_id);
        jobs.push(job);
      }
    }
  }
  return jobs;
}

/** How often the jobs list refreshes: every 2 s while a job is queued, running or exporting. */
export function jobsRefetchInterval(data: InfiniteData<JobPage> | undefined): number | false {
  return flattenJobs(data).some((job) => isActive(job.status)) ? ACTIVE_REFRESH_MS : false;
}

export function dashboardRefetchInterval(data: Dashboard | undefined): number | false {
  if (!data) return ACTIVE_REFRESH_MS;
  return isFinal(data.job.status) ? FINAL_REFRESH_MS : ACTIVE_REFRESH_MS;
}

export function jobsQueryOptions(api: ApiClient, pageSize: number) {
  return {
    queryKey: [...queryKeys.jobs, pageSize] as const,
    queryFn: ({ pageParam }: { pageParam: string | null }) => api.listJobs(pageParam, pageSize),
    initialPageParam: null as string | null,
    getNextPageParam: (last: JobPage) => last.next_cursor ?? undefined,
  };
}

/** The caller's jobs, newest first, a page at a time ("Load more" follows the API cursor). */
export function useJobsPages(pageSize = 25) {
  const api = useApi();
  const query = useInfiniteQuery({
    ...jobsQueryOptions(api, pageSize),
    refetchInterval: (q) => jobsRefetchInterval(q.state.data),
  });
  return { ...query, jobs: flattenJobs(query.data) };
}

export function useDashboard(jobId: string) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.dashboard(jobId),
    queryFn: () => api.getDashboard(jobId),
    refetchInterval: (q) => (q.state.error ? false : dashboardRefetchInterval(q.state.data)),
  });
}

export function useTemplates() {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.templates, queryFn: () => api.listTemplates(), select: (d) => d.templates });
}

export function useTemplate(templateId: string | null, version: number | null) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.template(templateId ?? "", version),
    queryFn: () => api.getTemplate(templateId!, version),
    enabled: Boolean(templateId),
  });
}

export function useTemplateVersions(templateId: string | null) {
  const api = useApi();
  return useQuery({
    queryKey: queryKeys.versions(templateId ?? ""),
    queryFn: () => api.listVersions(templateId!),
    enabled: Boolean(templateId),
    select: (d) => [...d.versions].sort((a, b) => b.version - a.version),
  });
}

export function useSampleDatasets() {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.sampleDatasets, queryFn: () => api.sampleDatasets(), select: (d) => d.datasets });
}

/**
 * Make a list reflect a write that just succeeded. A fetch of it that started before the write
 * may still be in flight; while a query has no data yet, TanStack Query's invalidation reuses
 * that fetch (and its stale answer) instead of starting a new one. Cancelling it first makes
 * the invalidation fetch anew.
 */
export async function refreshAfterWrite(client: QueryClient, queryKey: readonly unknown[]): Promise<void> {
  await client.cancelQueries({ queryKey });
  await client.invalidateQueries({ queryKey });
}

/** The caller's quotas and what is used of them; refreshed with the jobs while any job moves. */
export function useQuotas(refetchInterval: number | false = false) {
  const api = useApi();
  return useQuery({ queryKey: queryKeys.quotas, queryFn: () => api.quotas(), refetchInterval });
}
