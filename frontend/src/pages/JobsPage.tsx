// `/`: the caller's jobs, newest first; refreshes every 2 s while any job is still moving.
import { Link } from "react-router-dom";
import { ACTIVE_REFRESH_MS, useJobsPages, useQuotas } from "../api/hooks";
import { isActive } from "../api/types";
import { Alert } from "../components/Alert";
import { PageHeader, Panel } from "../components/Layout";
import { ProgressBar } from "../components/ProgressBar";
import { StatusBadge } from "../components/StatusBadge";
import { formatDateTime, formatUsd } from "../lib/format";

export function JobsPage() {
  const { jobs, isPending, error, hasNextPage, fetchNextPage, isFetchingNextPage, isFetching } = useJobsPages();
  const active = jobs.filter((job) => isActive(job.status)).length;
  const quotas = useQuotas(active > 0 ? ACTIVE_REFRESH_MS : false);

  return (
    <>
      <PageHeader
        title="Jobs"
        description="Generation jobs, newest first. Each runs on Fargate Spot, stops at its budget and ends in downloadable datasets."
        actions={
          <Link to="/jobs/new" className="btn primary">
            Create job
          </Link>
        }
      />
      <Panel
        title={
          <>
            Jobs <span className="count">({jobs.length}{hasNextPage ? "+" : ""})</span>
          </>
        }
        actions={
          <span className="muted small" aria-live="polite">
            {active > 0 ? `${active} active · refreshing every 2 s` : isFetching ? "Refreshing…" : "Up to date"}
          </span>
        }
      >
        {error && <Alert kind="error">{error.message}</Alert>}
        {isPending ? (
          <p className="muted">Loading jobs…</p>
        ) : jobs.length === 0 && !error ? (
          <div className="empty">
            <p>No jobs yet.</p>
            <Link to="/jobs/new" className="btn">
              Create your first job
            </Link>
          </div>
        ) : (
          <table className="table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col" className="col-progress">
                  Progress
                </th>
                <th scope="col" className="num">
                  Cost / budget
                </th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {jobs.map((job) => (
                <tr key={job.job_id} data-testid="job-row">
                  <td>
                    <Link to={`/jobs/${encodeURIComponent(job.job_id)}`} className="strong-link">
                      {job.name}
                    </Link>
                    <div className="mono muted small">{job.job_id}</div>
                  </td>
                  <td>
                    <StatusBadge status={job.status} />
                  </td>
                  <td className="col-progress">
                    <ProgressBar done={job.records_generated ?? 0} total={job.record_count} />
                  </td>
                  <td className="num">
                    {formatUsd(job.cost_usd ?? 0)} <span className="muted">/ {formatUsd(job.budget_usd)}</span>
                  </td>
                  <td className="nowrap">{formatDateTime(job.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        {hasNextPage && (
          <div className="load-more">
            <button type="button" className="btn" onClick={() => void fetchNextPage()} disabled={isFetchingNextPage}>
              {isFetchingNextPage ? "Loading…" : "Load more"}
            </button>
          </div>
        )}
      </Panel>
      {quotas.data && (
        <Panel title="Your allowance">
          <div className="kv-grid" data-testid="allowance">
            <div>
              Spend today ({quotas.data.day}, UTC): {formatUsd(quotas.data.spend_per_day_usd.used ?? 0)} of{" "}
              {formatUsd(quotas.data.spend_per_day_usd.limit)}
            </div>
            <div>
              Spend this month: {formatUsd(quotas.data.spend_per_month_usd.used ?? 0)} of{" "}
              {formatUsd(quotas.data.spend_per_month_usd.limit)}
            </div>
            <div>
              Jobs waiting: {quotas.data.jobs_queued.used ?? 0} of {quotas.data.jobs_queued.limit}
            </div>
            <div>
              Per job: up to {quotas.data.records_per_job.limit.toLocaleString()} records and a{" "}
              {formatUsd(quotas.data.budget_per_job_usd.limit)} budget
            </div>
          </div>
          <p className="muted small">
            A job&apos;s whole budget counts from its submission; when it ends, only what it spent stays counted.
          </p>
        </Panel>
      )}
    </>
  );
}
