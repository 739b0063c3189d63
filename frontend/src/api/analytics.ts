// Cost analytics (GET /analytics/costs): the caller's spend over 7, 30 or 90 UTC days by day,
// ISO week, model and template, and how well budgets were used. The server reads the jobs with
// one query; the page only shows what it answers.
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useApi } from "../auth/AuthContext";
import type { ApiClient } from "./client";

export const ANALYTICS_WINDOWS = [7, 30, 90] as const;
export type AnalyticsWindow = (typeof ANALYTICS_WINDOWS)[number];

/** The by-model key of spend a job item could not split by model (older jobs). */
export const UNATTRIBUTED = "unattributed";

export interface SpendRow {
  /** A day (YYYY-MM-DD), an ISO week (YYYY-Www), a model id or a template id. */
  key: string;
  spend_usd: number;
  jobs: number;
  /** Records generated (0 in the by-model table). */
  records: number;
}

export interface BudgetEfficiency {
  finished_jobs: number;
  budgeted_usd: number;
  spent_usd: number;
  /** spent / budgeted over finished jobs (0..1), null when nothing finished. */
  budget_used: number | null;
  records_per_usd: number | null;
  cost_per_record_usd: number | null;
  budget_exceeded_jobs: number;
  budget_exceeded_share: number | null;
}

export interface CostAnalytics {
  days: number;
  first_day: string;
  last_day: string;
  spend_usd: number;
  jobs: number;
  records: number;
  by_day: SpendRow[];
  by_week: SpendRow[];
  by_model: SpendRow[];
  by_template: SpendRow[];
  efficiency: BudgetEfficiency;
  jobs_by_status: Record<string, number>;
}

export function isAnalyticsWindow(value: number): value is AnalyticsWindow {
  return (ANALYTICS_WINDOWS as readonly number[]).includes(value);
}

export const analyticsKeys = { costs: (days: AnalyticsWindow) => ["analytics-costs", days] as const };

export const analyticsApi = {
  costs: (api: ApiClient, days: AnalyticsWindow) => api.request<CostAnalytics>("GET", `/analytics/costs?days=${days}`),
};

/** The report of a window; the previous window's figures stay up while the next one loads. */
export function useCostAnalytics(days: AnalyticsWindow) {
  const api = useApi();
  return useQuery({
    queryKey: analyticsKeys.costs(days),
    queryFn: () => analyticsApi.costs(api, days),
    placeholderData: keepPreviousData,
  });
}
