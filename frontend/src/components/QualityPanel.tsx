// The quality of a finished job: the judge's scores of a sample and statistics on every record,
// so a user can decide whether a dataset is worth training on before downloading it.
import type { Quality } from "../api/types";
import { Alert } from "./Alert";
import { Panel } from "./Layout";
import { formatUsd } from "../lib/format";

const CRITERIA: [keyof ScoreFields, string, string][] = [
  ["coherence", "Coherence", "fluent and internally consistent"],
  ["relevance", "Relevance", "the generated fields address their inputs"],
  ["format_compliance", "Format", "every field well formed and complete"],
  ["overall", "Overall", "mean of the three"],
];

interface ScoreFields {
  coherence: number;
  relevance: number;
  format_compliance: number;
  overall: number;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** A 1–5 score as a bar; the width is the score's share of the scale. */
function ScoreBar({ label, hint, value }: { label: string; hint: string; value: number }) {
  return (
    <div className="quality-score" title={hint}>
      <div className="kv-label">{label}</div>
      <div className="budget-meter">
        <div className="budget-meter-track">
          <div className="budget-meter-fill" style={{ width: `${(value / 5) * 100}%` }} />
        </div>
        <span className="mono" data-testid={`quality-${label.toLowerCase()}`}>
          {value.toFixed(2)} / 5
        </span>
      </div>
    </div>
  );
}

export function QualityPanel({ quality, final }: { quality?: Quality | null; final: boolean }) {
  if (!quality) {
    return (
      <Panel title="Quality" testId="quality-panel">
        <p className="muted" data-testid="quality-status">
          {final
            ? "No quality report was recorded for this job."
            : "Assessed once the job has ended: a judge model scores a sample and statistics cover every record."}
        </p>
      </Panel>
    );
  }
  const { stats, judge } = quality;
  return (
    <Panel
      title="Quality"
      testId="quality-panel"
      actions={judge && <span className="muted small">Judged by {judge.model}</span>}
    >
      {quality.status === "FAILED" && (
        <Alert kind="error" title="The quality step failed">
          {quality.reason ?? "No reason was recorded."} The job's datasets are unaffected.
        </Alert>
      )}
      {quality.status !== "FAILED" && quality.reason && (
        <p className="muted" data-testid="quality-reason">
          {quality.status === "SKIPPED" ? "Not assessed: " : "Note: "}
          {quality.reason}
        </p>
      )}
      {judge && (
        <>
          <div className="kv-grid" data-testid="quality-judge">
            {CRITERIA.map(([key, label, hint]) => (
              <ScoreBar key={key} label={label} hint={hint} value={judge[key]} />
            ))}
          </div>
          <p className="muted small">
            {judge.sampled} records scored for {formatUsd(judge.cost_usd)}, counted in the job's cost.
          </p>
        </>
      )}
      {stats && stats.records > 0 && (
        <div className="kv-grid" data-testid="quality-stats">
          <div className="kv">
            <div className="kv-label">Records assessed</div>
            <div className="kv-value">{stats.records.toLocaleString()}</div>
          </div>
          <div className="kv">
            <div className="kv-label">Distinct words / word pairs</div>
            <div className="kv-value" data-testid="quality-distinct">
              {percent(stats.distinct_1)} / {percent(stats.distinct_2)}
            </div>
          </div>
          <div className="kv">
            <div className="kv-label">Words per record</div>
            <div className="kv-value">
              {stats.length.min}–{stats.length.max} (median {stats.length.p50}, p90 {stats.length.p90})
            </div>
          </div>
          <div className="kv">
            <div className="kv-label">Duplicates</div>
            <div className="kv-value" data-testid="quality-duplicates">
              {stats.exact_duplicates.toLocaleString()} exact, {stats.near_duplicates.toLocaleString()} near
            </div>
          </div>
        </div>
      )}
    </Panel>
  );
}
