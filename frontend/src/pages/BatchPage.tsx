// `/batches/:batchId`: a batch's jobs side by side (what each varies, status, records, cost, cost
// per record, quality, duration), its status derived from them, the best job's downloads, and
// cancelling what has not finished. Refreshes every 2 s until every job has ended.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { Link, useParams } from "react-router-dom";
import { BATCH_FINAL, batchesApi, batchKeys, useBatch, type Batch, type BatchJobRow } from "../api/batches";
import { queryKeys, refreshAfterWrite, useDashboard } from "../api/hooks";
import { isFinal } from "../api/types";
import { useApi } from "../auth/AuthContext";
import { Alert } from "../components/Alert";
import { ConfirmCancel } from "../components/ConfirmCancel";
import { Crumbs, PageHeader, Panel } from "../components/Layout";
import { LoadingOrError } from "../components/LoadingOrError";
import { StatusBadge } from "../components/StatusBadge";
import { bestJob, dimensionLabel, formatDuration, formatParam, qualityCell } from "../lib/batchCompare";
import { groupDownloads } from "../lib/downloads";
import { formatDateTime, formatUsd } from "../lib/format";

export function BatchPage() {
  const { batchId = "" } = useParams();
  const api = useApi();
  const queryClient = useQueryClient();
  const { data, error, isPending } = useBatch(batchId);
  const [confirming, setConfirming] = useState(false);

  const cancel = useMutation({
    mutationFn: () => batchesApi(api).cancel(batchId),
    onSuccess: (batch) => {
      setConfirming(false);
      queryClient.setQueryData(batchKeys.one(batchId), batch);
      void refreshAfterWrite(queryClient, batchKeys.one(batchId));
      void refreshAfterWrite(queryClient, queryKeys.jobs);
    },
  });

  const crumbs = <Crumbs to="/batches" parent="Batches" current={data?.name ?? batchId} />;
  if (isPending || error || !data) {
    return <LoadingOrError title="Batch" noun="batch" breadcrumbs={crumbs} pending={isPending} error={error} />;
  }

  const final = BATCH_FINAL.includes(data.status);
  const best = bestJob(data.jobs);

  return (
    <>
      <PageHeader
        title={data.name}
        breadcrumbs={crumbs}
        description={
          <>
            <span className="mono">{data.batch_id}</span> · created {formatDateTime(data.created_at)}
            {!final && <span className="muted small"> · refreshing automatically</span>}
          </>
        }
        actions={
          !final && (
            <button type="button" className="btn danger-outline" onClick={() => setConfirming(true)} disabled={confirming || cancel.isPending}>
              Cancel batch
            </button>
          )
        }
      />
      {confirming && !final && (
        <ConfirmCancel titleId="cancel-batch-title" title="Cancel this batch?" pending={cancel.isPending} onKeep={() => setConfirming(false)} onConfirm={() => cancel.mutate()}>
          Every queued job leaves the queue; running ones stop after their current batch of records and export what they made.
        </ConfirmCancel>
      )}
      {cancel.error && (
        <Alert kind="error" title="The batch was not cancelled">
          {cancel.error.message}
        </Alert>
      )}
      {data.error && (
        <Alert kind="error" title="Not every job of this batch could be queued">
          {data.error}
        </Alert>
      )}
      <Panel title="Summary">
        <div className="kv-grid">
          <Item label="Status">
            <span data-testid="batch-status" className={`badge badge-${batchTone(data.status)}`}>
              {data.status}
            </span>
          </Item>
          <Item label="Jobs">
            <span data-testid="batch-counts">
              {data.job_count}:{" "}
              {Object.entries(data.status_counts)
                .map(([status, count]) => `${count} ${status.toLowerCase()}`)
                .join(", ")}
            </span>
          </Item>
          <Item label="Varies">{data.dimensions.map(dimensionLabel).join(", ")}</Item>
          <Item label="Records">{data.records.toLocaleString("en-US")}</Item>
          <Item label="Cost so far">{formatUsd(data.cost_usd)}</Item>
          <Item label="Estimated">{formatUsd(data.estimated_cost_usd)}</Item>
        </div>
      </Panel>
      <Panel title="Comparison">
        <ComparisonTable batch={data} bestId={best?.job_id ?? null} />
      </Panel>
      <Panel title="Best job" testId="best-job">
        {best ? (
          <BestDownloads row={best} judged={best.quality_score !== null} />
        ) : (
          <p className="muted">{final ? "No job made records to download." : "The best job is picked once jobs finish."}</p>
        )}
      </Panel>
    </>
  );
}

function Item({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div>
      <div className="kv-label">{label}</div>
      <div className="kv-value">{children}</div>
    </div>
  );
}

function batchTone(status: string): string {
  if (status === "COMPLETED") return "success";
  if (status === "FAILED") return "error";
  if (status === "PARTIAL") return "warning";
  if (status === "CANCELLED") return "stopped";
  if (status === "RUNNING") return "progress";
  return "pending";
}

export function ComparisonTable({ batch, bestId }: { batch: Batch; bestId: string | null }) {
  return (
    <div style={{ overflowX: "auto" }}>
      <table className="table" data-testid="batch-jobs">
        <caption className="sr-only">The batch's jobs side by side</caption>
        <thead>
          <tr>
            <th scope="col">Job</th>
            {batch.dimensions.map((dimension) => (
              <th scope="col" key={dimension}>
                {dimensionLabel(dimension)}
              </th>
            ))}
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Records
            </th>
            <th scope="col" className="num">
              Cost
            </th>
            <th scope="col" className="num">
              Cost per record
            </th>
            <th scope="col">Quality</th>
            <th scope="col" className="num">
              Duration
            </th>
          </tr>
        </thead>
        <tbody>
          {batch.jobs.map((row) => (
            <Row key={row.job_id} row={row} dimensions={batch.dimensions} best={row.job_id === bestId} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Row({ row, dimensions, best }: { row: BatchJobRow; dimensions: string[]; best: boolean }) {
  const quality = qualityCell(row);
  return (
    <tr data-testid="batch-job-row" data-job-id={row.job_id} className={best ? "selected" : undefined}>
      <td>
        <Link to={`/jobs/${encodeURIComponent(row.job_id)}`}>{row.name}</Link>
        {best && (
          <>
            {" "}
            <span className="badge badge-success" data-testid="best-badge">
              Best
            </span>
          </>
        )}
      </td>
      {dimensions.map((dimension) => (
        <td key={dimension} className="mono" data-testid={`param-${dimension}`}>
          {formatParam(dimension, row.params[dimension])}
        </td>
      ))}
      <td>
        <StatusBadge status={row.status} />
      </td>
      <td className="num" data-testid="cell-records">
        {row.records.toLocaleString("en-US")} / {row.record_count.toLocaleString("en-US")}
      </td>
      <td className="num" data-testid="cell-cost">
        {formatUsd(row.cost_usd)}
      </td>
      <td className="num" data-testid="cell-cost-per-record">
        {formatUsd(row.cost_per_record_usd)}
      </td>
      <td data-testid="cell-quality">
        <span data-testid="cell-quality-overall">{quality.overall}</span>
        {quality.detail && <div className="muted small">{quality.detail}</div>}
      </td>
      <td className="num" data-testid="cell-duration">
        {formatDuration(row.duration_seconds)}
      </td>
    </tr>
  );
}

/** The best job's datasets, from its dashboard's presigned links (renewed as JobPage does). */
function BestDownloads({ row, judged }: { row: BatchJobRow; judged: boolean }) {
  const dashboard = useDashboard(row.job_id);
  const why = judged
    ? "the highest judge score (a tie goes to the lower cost per record)"
    : "no job has a judge score yet: the lowest cost per record among the completed jobs";
  let files;
  if (dashboard.isPending) files = <p className="muted">Loading its downloads…</p>;
  else if (dashboard.error) files = <Alert kind="error">{dashboard.error.message}</Alert>;
  else {
    const datasets = groupDownloads(dashboard.data.downloads).datasets.filter((dataset) => dataset.url);
    files = datasets.length ? (
      <div className="dataset-cards">
        {datasets.map((dataset) => (
          <div className="dataset-card" key={dataset.key}>
            <span className="dataset-format">{dataset.label}</span>
            <span className="muted small">{dataset.description}</span>
            <a className="btn primary" href={dataset.url!} data-testid={`best-download-${dataset.key}`} download={dataset.key} rel="noopener">
              Download {dataset.key}
            </a>
          </div>
        ))}
      </div>
    ) : (
      <p className="muted">{isFinal(dashboard.data.job.status) ? "This job produced no export files." : "Its datasets appear when it has finished exporting."}</p>
    );
  }
  return (
    <>
      <p data-testid="best-job-name">
        <Link to={`/jobs/${encodeURIComponent(row.job_id)}`}>{row.name}</Link> — {why}.
      </p>
      {files}
    </>
  );
}
