// `/jobs/:id`: everything GET /dashboard/{id} returns, kept live (streamed, or polled with backoff)
// until the job is final.
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useState, type ReactNode } from "react";
import { useLocation, useParams } from "react-router-dom";
import { queryKeys, refreshAfterWrite } from "../api/hooks";
import { useLiveDashboard } from "../api/progress";
import type { Dashboard, Estimate } from "../api/types";
import { isFinal } from "../api/types";
import { useApi } from "../auth/AuthContext";
import { Alert } from "../components/Alert";
import { ConfirmCancel } from "../components/ConfirmCancel";
import { Crumbs, PageHeader, Panel } from "../components/Layout";
import { LoadingOrError } from "../components/LoadingOrError";
import { PartialDownload } from "../components/PartialDownload";
import { ProgressBar } from "../components/ProgressBar";
import { QualityPanel } from "../components/QualityPanel";
import { StatusBadge } from "../components/StatusBadge";
import { groupDownloads } from "../lib/downloads";
import { recallEstimate } from "../lib/estimates";
import { formatDateTime, formatEta, formatRate, formatUsd } from "../lib/format";

const CostChart = lazy(() => import("../components/CostChart"));

function KeyValue({ label, children }: { label: string; children: ReactNode }) {
  return (
    <div className="kv">
      <div className="kv-label">{label}</div>
      <div className="kv-value">{children}</div>
    </div>
  );
}

function fileName(key: string): string {
  return key.split("/").pop() ?? key;
}

export function JobPage() {
  const { jobId = "" } = useParams();
  const location = useLocation();
  const api = useApi();
  const queryClient = useQueryClient();
  const { data, error, isPending, mode } = useLiveDashboard(jobId);
  const [confirming, setConfirming] = useState(false);
  const stateEstimate = (location.state as { estimate?: Estimate } | null)?.estimate ?? null;
  const estimate = stateEstimate ?? recallEstimate(jobId);

  const cancel = useMutation({
    mutationFn: () => api.cancelJob(jobId),
    onSuccess: () => {
      setConfirming(false);
      void refreshAfterWrite(queryClient, queryKeys.dashboard(jobId));
      void refreshAfterWrite(queryClient, queryKeys.jobs);
    },
  });

  const crumbs = <Crumbs to="/" parent="Job list" current={data?.job.name ?? jobId} />;

  if (isPending || error || !data) {
    return <LoadingOrError title="Job" noun="job" breadcrumbs={crumbs} pending={isPending} error={error} />;
  }

  const { job } = data;
  const final = isFinal(job.status);

  return (
    <>
      <PageHeader
        title={job.name}
        breadcrumbs={crumbs}
        description={
          <>
            <span className="mono">{job.job_id}</span>
            {!final && (
              <span className="muted small live-mode" data-testid="progress-mode">
                {" "}
                · {mode === "stream" ? "live" : "refreshing automatically"}
              </span>
            )}
          </>
        }
        actions={
          !final &&
          !cancel.isSuccess && (
            <button type="button" className="btn danger-outline" onClick={() => setConfirming(true)} disabled={confirming || cancel.isPending}>
              Cancel job
            </button>
          )
        }
      />

      {confirming && !final && (
        <ConfirmCancel titleId="cancel-title" title="Cancel this job?" pending={cancel.isPending} onKeep={() => setConfirming(false)} onConfirm={() => cancel.mutate()}>
          A queued job leaves the queue; a running one stops after its current batch and the records made so far are exported.
        </ConfirmCancel>
      )}
      {cancel.isSuccess && !final && (
        <Alert kind="info">Cancellation requested: the job stops after its current batch.</Alert>
      )}
      {cancel.error && <Alert kind="error" title="The job was not cancelled">{cancel.error.message}</Alert>}
      {job.status === "FAILED" && (
        <Alert kind="error" title="The job failed">
          {job.error ?? "No reason was recorded."}
        </Alert>
      )}
      {job.status === "BUDGET_EXCEEDED" && (
        <Alert kind="warning" title="Stopped at the budget">
          The job reached its {formatUsd(job.budget_usd)} budget; the records made before it are in the datasets below.
        </Alert>
      )}

      {(job.records_failed ?? 0) > 0 && (
        <Alert kind="warning" testId="failed-records" title={`${job.records_failed} record${job.records_failed === 1 ? "" : "s"} failed and ${job.records_failed === 1 ? "was" : "were"} skipped`}>
          <p>
            Their prompt could not be rendered or their model call kept failing; every other record was written.
          </p>
          {job.record_failures && (
            <ul data-testid="record-failures">
              {Object.entries(job.record_failures.by_error).map(([error, count]) => (
                <li key={error}>
                  <span className="mono">{error}</span>: {count}
                </li>
              ))}
              {job.record_failures.examples.slice(0, 5).map((example) => (
                <li key={`example-${example.record}`} className="muted small">
                  record {example.record}: {example.reason}
                </li>
              ))}
            </ul>
          )}
        </Alert>
      )}

      <Panel title="Summary">
        <div className="kv-grid">
          <KeyValue label="Status">
            <StatusBadge status={job.status} />
          </KeyValue>
          <KeyValue label="Records">
            <ProgressBar done={data.progress.records_generated} total={data.progress.record_count} testId="job-progress" large />
          </KeyValue>
          <KeyValue label="Speed">{formatRate(data.progress.records_per_second)}</KeyValue>
          <KeyValue label="Time remaining">{final ? "—" : formatEta(data.progress.eta_seconds)}</KeyValue>
          <KeyValue label="Created">{formatDateTime(job.created_at)}</KeyValue>
          <KeyValue label="Started">{formatDateTime(job.started_at)}</KeyValue>
          <KeyValue label="Finished">{formatDateTime(job.finished_at ?? job.cancelled_at)}</KeyValue>
          <KeyValue label="Template">
            {job.template_id ? (
              <span className="mono">
                {job.template_id}
                {job.template_version ? ` v${job.template_version}` : ""}
              </span>
            ) : (
              "inline"
            )}
          </KeyValue>
          <KeyValue label="Priority">{job.priority ?? "—"}</KeyValue>
          <KeyValue label="Category field">{job.category_field ? <span className="mono">{job.category_field}</span> : "—"}</KeyValue>
          <KeyValue label="Tokens used">{job.tokens_used?.toLocaleString() ?? "—"}</KeyValue>
          <KeyValue label="Spot interruptions">
            {data.interruptions.relaunches} relaunch{data.interruptions.relaunches === 1 ? "" : "es"}
            {data.interruptions.last_interruption ? (
              <div className="muted small">
                last: {typeof data.interruptions.last_interruption === "string"
                  ? data.interruptions.last_interruption
                  : JSON.stringify(data.interruptions.last_interruption)}
              </div>
            ) : null}
          </KeyValue>
        </div>
      </Panel>

      <Downloads data={data} />
      {(job.status === "RUNNING" || job.status === "EXPORTING" || job.status === "FAILED") && (
        <PartialDownload jobId={job.job_id} />
      )}
      {(final || job.quality) && <QualityPanel quality={job.quality} final={final} />}

      <div className="columns">
        <CostPanel data={data} />
        {estimate && <EstimatePanel estimate={estimate} />}
      </div>

      <Panel title="Sample records" actions={<span className="muted small">The first records of the first batch</span>}>
        <div data-testid="sample-records" className="samples">
          {data.sample_records.length === 0 ? (
            <p className="muted">No records yet: samples appear once the first batch is written.</p>
          ) : (
            data.sample_records.map((record, index) => (
              <pre key={typeof record.id === "string" ? record.id : index} className="json">
                {JSON.stringify(record, null, 2)}
              </pre>
            ))
          )}
        </div>
      </Panel>
    </>
  );
}

function Downloads({ data }: { data: Dashboard }) {
  const groups = groupDownloads(data.downloads);
  const any = Object.keys(data.downloads).length > 0;
  const final = isFinal(data.job.status);
  return (
    <Panel title="Downloads" actions={any && <span className="muted small">Links are presigned for 15 minutes and renewed on this page</span>}>
      {data.archive.archived && (
        <Alert kind="info" title="Archived to S3 Glacier Instant Retrieval">
          {data.archive.note}
        </Alert>
      )}
      {!any ? (
        <p className="muted">
          {final ? "This job produced no export files." : "The datasets appear here when the job has finished exporting."}
        </p>
      ) : (
        <>
          <div className="dataset-cards">
            {groups.datasets.map((dataset) => (
              <div key={dataset.key} className={`dataset-card${dataset.url ? "" : " disabled"}`}>
                <div className="dataset-format">{dataset.label}</div>
                <div className="muted small">{dataset.description}</div>
                {dataset.url ? (
                  <a className="btn primary" href={dataset.url} data-testid={`download-${dataset.key}`} download={dataset.key} rel="noopener">
                    Download {dataset.key}
                  </a>
                ) : (
                  <span className="muted small">Not exported</span>
                )}
              </div>
            ))}
          </div>
          {(groups.manifests.length > 0 || groups.partitions.length > 0 || groups.other.length > 0) && (
            <details className="more-files">
              <summary>
                Manifests and partitions ({groups.manifests.length + groups.partitions.length + groups.other.length} files)
              </summary>
              <ul className="file-list">
                {[...groups.manifests, ...groups.partitions, ...groups.other].map(([key, url]) => (
                  <li key={key}>
                    <a href={url} data-testid={`download-${key}`} download={fileName(key)} rel="noopener" className="mono">
                      {key}
                    </a>
                  </li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </Panel>
  );
}

function CostPanel({ data }: { data: Dashboard }) {
  const { cost } = data;
  const used = Math.min(100, cost.budget_used_percent);
  return (
    <Panel title="Cost" className="grow">
      <table className="table compact cost-table">
        <tbody>
          <tr>
            <th scope="row">Bedrock</th>
            <td className="num">{formatUsd(cost.bedrock_usd)}</td>
          </tr>
          <tr>
            <th scope="row">Fargate</th>
            <td className="num">{formatUsd(cost.fargate_usd)}</td>
          </tr>
          <tr>
            <th scope="row">S3</th>
            <td className="num">{formatUsd(cost.s3_usd)}</td>
          </tr>
          <tr className="total">
            <th scope="row">Total</th>
            <td className="num">{formatUsd(cost.total_usd)}</td>
          </tr>
          <tr>
            <th scope="row">Budget</th>
            <td className="num">{formatUsd(cost.budget_usd)}</td>
          </tr>
          {cost.estimated_usd !== null && cost.estimated_usd !== undefined && (
            <tr>
              <th scope="row">Estimated at submission</th>
              <td className="num">{formatUsd(cost.estimated_usd)}</td>
            </tr>
          )}
        </tbody>
      </table>
      <div className="budget-meter" title="Model spend against the budget (the budget guard counts Bedrock)">
        <div className="budget-meter-track">
          <div className={`budget-meter-fill${used >= 90 ? " hot" : ""}`} style={{ width: `${used}%` }} />
        </div>
        <span className="small muted">{cost.budget_used_percent.toFixed(1)}% of the budget used</span>
      </div>
      <div data-testid="cost-chart">
        <Suspense fallback={<p className="muted">Loading chart…</p>}>
          <CostChart history={data.cost_history} budget={cost.budget_usd} />
        </Suspense>
      </div>
    </Panel>
  );
}

function EstimatePanel({ estimate }: { estimate: Estimate }) {
  return (
    <Panel title="Estimate (from the API at submission)" className="estimate">
      <div className="kv-grid two">
        <KeyValue label="Expected cost">{formatUsd(estimate.expected_cost_usd)}</KeyValue>
        <KeyValue label="Worst case">{formatUsd(estimate.max_cost_usd)}</KeyValue>
        <KeyValue label="Expected tokens">{estimate.expected_tokens.toLocaleString()}</KeyValue>
        <KeyValue label="Records">{estimate.records.toLocaleString()}</KeyValue>
      </div>
      {estimate.steps.length > 0 && (
        <table className="table compact">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">Model</th>
              <th scope="col" className="num">
                Cost / record
              </th>
            </tr>
          </thead>
          <tbody>
            {estimate.steps.map((step, index) => (
              <tr key={String(step.step_id ?? index)}>
                <td className="mono">{String(step.step_id ?? index + 1)}</td>
                <td className="mono small">
                  {String(step.model_id ?? "")}
                  {step.tier ? <span className="muted"> ({String(step.tier)})</span> : null}
                </td>
                <td className="num">{typeof step.cost_per_record === "number" ? formatUsd(step.cost_per_record) : "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}
