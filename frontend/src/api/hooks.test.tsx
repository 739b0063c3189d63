import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { act, renderHook, waitFor } from "@testing-library/react";
import type { ReactNode } from "react";
import { describe, expect, it, vi } from "vitest";
import { AuthProvider } from "../auth/AuthContext";
import { apiFetch, fakeAuth, job, testConfig, type RecordedRequest } from "../test/helpers";
import { ACTIVE_REFRESH_MS, dashboardRefetchInterval, FINAL_REFRESH_MS, flattenJobs, jobsRefetchInterval, useJobsPages } from "./hooks";
import type { Dashboard, JobPage } from "./types";

function wrapper({ children }: { children: ReactNode }) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  return (
    <QueryClientProvider client={client}>
      <AuthProvider config={testConfig} auth={fakeAuth()}>
        {children}
      </AuthProvider>
    </QueryClientProvider>
  );
}

describe("useJobsPages", () => {
  it("follows the API cursor page by page and stops when there is none", async () => {
    const pages: Record<string, JobPage> = {
      first: { jobs: [job({ job_id: "a", status: "COMPLETED" }), job({ job_id: "b", status: "COMPLETED" })], next_cursor: "cursor-2" },
      "cursor-2": { jobs: [job({ job_id: "c", status: "FAILED" })], next_cursor: null },
    };
    const { fetchMock, requests } = apiFetch({ "GET /jobs": (r: RecordedRequest) => pages[r.search.get("cursor") ?? "first"] });
    vi.stubGlobal("fetch", fetchMock);

    const { result } = renderHook(() => useJobsPages(2), { wrapper });
    await waitFor(() => expect(result.current.jobs.map((j) => j.job_id)).toEqual(["a", "b"]));
    expect(result.current.hasNextPage).toBe(true);
    expect(requests[0]!.search.get("limit")).toBe("2");
    expect(requests[0]!.search.has("cursor")).toBe(false);
    expect(requests[0]!.headers.get("Authorization")).toBe("Bearer access-token");

    await act(() => result.current.fetchNextPage());
    await waitFor(() => expect(result.current.jobs.map((j) => j.job_id)).toEqual(["a", "b", "c"]));
    expect(requests[1]!.search.get("cursor")).toBe("cursor-2");
    expect(result.current.hasNextPage).toBe(false);
  });

  it("surfaces the API's message", async () => {
    const { fetchMock } = apiFetch({ "GET /jobs": () => new Response(JSON.stringify({ message: "limit: too big" }), { status: 422 }) });
    vi.stubGlobal("fetch", fetchMock);
    const { result } = renderHook(() => useJobsPages(), { wrapper });
    await waitFor(() => expect(result.current.error?.message).toBe("limit: too big"));
  });
});

describe("refresh intervals", () => {
  let next = 0;
  const page = (...statuses: string[]): JobPage => ({ jobs: statuses.map((status) => job({ job_id: `j${next++}`, status })) });

  it("polls the jobs list only while a job is queued, running or exporting", () => {
    expect(jobsRefetchInterval(undefined)).toBe(false);
    expect(jobsRefetchInterval({ pages: [page("COMPLETED", "FAILED")], pageParams: [null] })).toBe(false);
    expect(jobsRefetchInterval({ pages: [page("COMPLETED"), page("QUEUED")], pageParams: [null, "c"] })).toBe(ACTIVE_REFRESH_MS);
    expect(jobsRefetchInterval({ pages: [page("EXPORTING")], pageParams: [null] })).toBe(ACTIVE_REFRESH_MS);
  });

  it("polls a job page until the job is final, then only renews the download links", () => {
    const dashboard = (status: string) => ({ job: job({ status }) }) as unknown as Dashboard;
    expect(dashboardRefetchInterval(undefined)).toBe(ACTIVE_REFRESH_MS);
    expect(dashboardRefetchInterval(dashboard("RUNNING"))).toBe(ACTIVE_REFRESH_MS);
    expect(dashboardRefetchInterval(dashboard("BUDGET_EXCEEDED"))).toBe(FINAL_REFRESH_MS);
    expect(FINAL_REFRESH_MS).toBeLessThan(15 * 60 * 1000);
  });

  it("lists a job once even if it shows up on two pages", () => {
    const first = page("RUNNING");
    const moved = { jobs: [...first.jobs, ...page("QUEUED").jobs] };
    expect(flattenJobs({ pages: [first, moved], pageParams: [null, "c"] }).map((j) => j.job_id)).toHaveLength(2);
  });
});
