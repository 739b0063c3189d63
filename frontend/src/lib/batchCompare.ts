// The batch page's comparison: which job is best, and each cell as the table shows it.
import type { BatchJobRow } from "../api/batches";
import { isFinal } from "../api/types";
import { formatEta } from "./format";

/**
 * The job to download first: among finished jobs that made records, the highest judge score
 * (a tie goes to the lower cost per record); when no job was judged, the lowest cost per record
 * among the COMPLETED ones. Null while no job qualifies.
 */
export function bestJob(rows: BatchJobRow[]): BatchJobRow | null {
  const made = rows.filter((row) => isFinal(row.status) && row.records > 0);
  const cost = (row: BatchJobRow) => row.cost_per_record_usd ?? Number.POSITIVE_INFINITY;
  const scored = made.filter((row) => row.quality_score !== null && row.quality_score !== undefined);
  if (scored.length) {
    return scored.reduce((best, row) => {
      const a = row.quality_score!;
      const b = best.quality_score!;
      return a > b || (a === b && cost(row) < cost(best)) ? row : best;
    });
  }
  const completed = made.filter((row) => row.status === "COMPLETED");
  if (!completed.length) return null;
  return completed.reduce((best, row) => (cost(row) < cost(best) ? row : best));
}

/** A swept value as a cell: `tier-1`, `{answer: tier-3}`, `0.7`, `v2`. */
export function formatParam(dimension: string, value: unknown): string {
  if (value === undefined || value === null) return "—";
  if (typeof value === "object") {
    return (
      "{" +
      Object.entries(value as Record<string, unknown>)
        .map(([key, inner]) => `${key}: ${String(inner)}`)
        .join(", ") +
      "}"
    );
  }
  if (dimension === "template_version") return `v${String(value)}`;
  return String(value);
}

export const DIMENSION_LABELS: Record<string, string> = {
  model: "Model or tier",
  temperature: "Temperature",
  template_version: "Template version",
  seed_data_key: "Seed data",
  sample_dataset: "Sample dataset",
  records: "Records asked",
};

export function dimensionLabel(dimension: string): string {
  return DIMENSION_LABELS[dimension] ?? dimension;
}

export interface QualityCell {
  /** The judge's overall score ("4.2 / 5"), "pending" before the quality step, or "—". */
  overall: string;
  /** A key statistic of all records (distinct bigrams, duplicates), when there is one. */
  detail: string | null;
}

/** What the quality column says for a job. */
export function qualityCell(row: BatchJobRow): QualityCell {
  const quality = row.quality;
  if (!quality) return { overall: isFinal(row.status) ? "—" : "pending", detail: null };
  const overall = quality.judge?.overall;
  const stats = quality.stats;
  const details: string[] = [];
  if (typeof stats?.distinct_2 === "number") details.push(`distinct-2 ${stats.distinct_2.toFixed(2)}`);
  if (typeof stats?.exact_duplicates === "number")
    details.push(`${stats.exact_duplicates} duplicate${stats.exact_duplicates === 1 ? "" : "s"}`);
  let text: string;
  if (typeof overall === "number") text = `${overall.toFixed(1)} / 5`;
  else if (quality.status === "COMPLETED") text = "—";
  else if (["PENDING", "RUNNING"].includes(quality.status)) text = "pending";
  else text = quality.status.toLowerCase();
  return { overall: text, detail: details.length ? details.join(" · ") : (quality.reason ?? null) };
}

/** A job's run time, "—" until it has started and ended. */
export function formatDuration(seconds: number | null | undefined): string {
  if (typeof seconds === "number" && seconds >= 0 && seconds < 1) return "<1 s";
  return formatEta(seconds);
}
