// `/analytics`: what the caller's jobs spent over the last 7, 30 or 90 days (UTC): totals and
// budget efficiency, spend by day and by ISO week (charts), by model and by template (tables).
// The window lives in the URL (?days=30) so a view can be shared or reloaded. Loaded lazily:
// recharts stays out of the main bundle.
import type { ReactNode } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { Bar, BarChart, CartesianGrid, Tooltip, XAxis, YAxis } from "recharts";
import {
  ANALYTICS_WINDOWS,
  isAnalyticsWindow,
  UNATTRIBUTED,
  useCostAnalytics,
  type AnalyticsWindow,
  type CostAnalytics,
  type SpendRow,
} from "../api/analytics";
import { useTemplates } from "../api/hooks";
import { Alert } from "../components/Alert";
import { PageHeader, Panel } from "../components/Layout";
import { useElementWidth } from "../components/useElementWidth";
import { formatUsd } from "../lib/format";

const DEFAULT_WINDOW: AnalyticsWindow = 30;
const CHART_HEIGHT = 220;
const monthDay = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });

/** The window in the URL, or 30 days when it is missing or not one the report offers. */
export function windowFrom(search: URLSearchParams): AnalyticsWindow {
  const days = Number(search.get("days"));
  return isAnalyticsWindow(days) ? days : DEFAULT_WINDOW;
}

/** `Nov 25` for a UTC day (`2026-11-25`). */
export function dayLabel(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  return Number.isNaN(date.getTime()) ? day : monthDay.format(date);
}

export function formatShare(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return "—";
  return `${(value * 100).toFixed(1)}%`;
}

function Figure({ label, children, testId }: { label: string; children: ReactNode; testId?: string }) {
  return (
    <div className="kv">
      <div className="kv-label">{label}</div>
      <div className="kv-value" data-testid={testId}>
        {children}
      </div>
    </div>
  );
}

function SpendChart({ rows, label, testId }: { rows: SpendRow[]; label: (key: string) => string; testId: string }) {
  const { ref, width } = useElementWidth<HTMLDivElement>();
  const data = rows.map((row) => ({ key: row.key, label: label(row.key), spend: row.spend_usd, jobs: row.jobs }));
  const empty = rows.every((row) => row.spend_usd === 0);
  return (
    <div ref={ref} className="chart-area" style={{ height: CHART_HEIGHT }} data-testid={testId}>
      {empty ? (
        <p className="muted chart-empty">No spend in this window.</p>
      ) : (
        width > 0 && (
          <BarChart width={width} height={CHART_HEIGHT} data={data} margin={{ top: 12, right: 16, bottom: 4, left: 8 }}>
            <CartesianGrid stroke="#e9ebed" strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="label" tick={{ fontSize: 11 }} interval="preserveStartEnd" minTickGap={12} />
            <YAxis tickFormatter={(value: number) => formatUsd(value)} tick={{ fontSize: 11 }} width={80} domain={[0, "auto"]} />
            <Tooltip
              formatter={(value, name) => (name === "spend" ? [formatUsd(Number(value)), "Spend"] : [String(value), String(name)])}
            />
            <Bar dataKey="spend" fill="#0972d3" isAnimationActive={false} />
          </BarChart>
        )
      )}
    </div>
  );
}

function SpendTable({
  rows,
  total,
  heading,
  name,
  showRecords,
  testId,
}: {
  rows: SpendRow[];
  total: number;
  heading: string;
  name: (key: string) => ReactNode;
  showRecords?: boolean;
  testId: string;
}) {
  if (rows.length === 0) return <p className="muted">No spend in this window.</p>;
  return (
    <table className="table" data-testid={`${testId}-table`}>
      <thead>
        <tr>
          <th>{heading}</th>
          <th className="num">Spend</th>
          <th className="num">Share</th>
          <th className="num">Jobs</th>
          {showRecords && <th className="num">Records</th>}
        </tr>
      </thead>
      <tbody>
        {rows.map((row) => (
          <tr key={row.key} data-testid={`${testId}-row`}>
            <td>{name(row.key)}</td>
            <td className="num">{formatUsd(row.spend_usd)}</td>
            <td className="num">{formatShare(total ? row.spend_usd / total : null)}</td>
            <td className="num">{row.jobs}</td>
            {showRecords && <td className="num">{row.records.toLocaleString()}</td>}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Report({ report, templateNames }: { report: CostAnalytics; templateNames: Map<string, string> }) {
  const efficiency = report.efficiency;
  const today = report.by_day[report.by_day.length - 1];
  const templateName = (id: string) => {
    const known = templateNames.get(id);
    return known ? (
      <>
        {known} <span className="muted small mono">{id}</span>
      </>
    ) : (
      <span className="mono">{id}</span>
    );
  };
  const modelName = (id: string) =>
    id === UNATTRIBUTED ? (
      <span title="Spend of jobs that ran before the worker recorded the split by model">Not split by model</span>
    ) : (
      <span className="mono">{id}</span>
    );
  return (
    <>
      <Panel title="Summary" testId="analytics-summary">
        <div className="kv-grid">
          <Figure label={`Spend, last ${report.days} days`} testId="analytics-total">
            {formatUsd(report.spend_usd)}
          </Figure>
          <Figure label="Today (UTC)" testId="analytics-today">
            {formatUsd(today?.spend_usd ?? 0)}
          </Figure>
          <Figure label="Jobs" testId="analytics-jobs">
            {report.jobs}
          </Figure>
          <Figure label="Records">{report.records.toLocaleString()}</Figure>
          <Figure label="Cost per record" testId="analytics-cost-per-record">
            {formatUsd(efficiency.cost_per_record_usd)}
          </Figure>
          <Figure label="Records per dollar">
            {efficiency.records_per_usd === null ? "—" : Math.round(efficiency.records_per_usd).toLocaleString()}
          </Figure>
          <Figure label="Budget used (finished jobs)" testId="analytics-budget-used">
            {formatShare(efficiency.budget_used)}
            <div className="muted small">
              {formatUsd(efficiency.spent_usd)} of {formatUsd(efficiency.budgeted_usd)} over {efficiency.finished_jobs} finished job
              {efficiency.finished_jobs === 1 ? "" : "s"}
            </div>
          </Figure>
          <Figure label="Stopped at their budget" testId="analytics-budget-exceeded">
            {efficiency.budget_exceeded_jobs} of {efficiency.finished_jobs} ({formatShare(efficiency.budget_exceeded_share)})
          </Figure>
        </div>
      </Panel>
      <div className="columns">
        <Panel title="Spend by day" className="grow">
          <SpendChart rows={report.by_day} label={dayLabel} testId="analytics-by-day-chart" />
        </Panel>
        <Panel title="Spend by ISO week">
          <SpendChart rows={report.by_week} label={(week) => week} testId="analytics-by-week-chart" />
        </Panel>
      </div>
      <div className="columns">
        <Panel title="By model">
          <SpendTable rows={report.by_model} total={report.spend_usd} heading="Model" name={modelName} testId="model" />
        </Panel>
        <Panel title="By template">
          <SpendTable
            rows={report.by_template}
            total={report.spend_usd}
            heading="Template"
            name={templateName}
            showRecords
            testId="template"
          />
        </Panel>
      </div>
    </>
  );
}

export function AnalyticsPage() {
  const [search, setSearch] = useSearchParams();
  const days = windowFrom(search);
  const costs = useCostAnalytics(days);
  const templates = useTemplates();
  const templateNames = new Map((templates.data ?? []).map((template) => [template.template_id, template.name]));
  return (
    <>
      <PageHeader
        title="Cost analytics"
        description="What your jobs spent, by day, week, model and template, and how well budgets were used. Days are UTC; a job counts on the day it was submitted."
      />
      <fieldset className="radio-group" aria-label="Window">
        <legend className="sr-only">Window</legend>
        {ANALYTICS_WINDOWS.map((window) => (
          <label className="radio" key={window}>
            <input
              type="radio"
              name="analytics-window"
              value={window}
              checked={days === window}
              onChange={() => setSearch({ days: String(window) })}
            />
            Last {window} days
          </label>
        ))}
      </fieldset>
      {costs.error && <Alert kind="error">{costs.error.message}</Alert>}
      {costs.isPending ? (
        <p className="muted">Adding up your jobs…</p>
      ) : costs.data && costs.data.jobs === 0 ? (
        <Panel>
          <div className="empty" data-testid="analytics-empty">
            <p>
              No jobs in the last {costs.data.days} days. <Link to="/jobs/new">Start a job</Link> and its spend shows up here.
            </p>
          </div>
        </Panel>
      ) : (
        costs.data && <Report report={costs.data} templateNames={templateNames} />
      )}
    </>
  );
}

export default AnalyticsPage;
