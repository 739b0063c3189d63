// The API returns a job's estimate only when it is created (POST /jobs); the job page shows it
// from here (this tab's sessionStorage), so a reload keeps it.
import type { Estimate } from "../api/types";

const PREFIX = "plot-palette:estimate:";

export function rememberEstimate(jobId: string, estimate: Estimate, storage: Storage = sessionStorage): void {
  try {
    storage.setItem(PREFIX + jobId, JSON.stringify(estimate));
  } catch {
    // not kept: the page then shows the job's stored estimated cost only
  }
}

export function recallEstimate(jobId: string, storage: Storage = sessionStorage): Estimate | null {
  try {
    const raw = storage.getItem(PREFIX + jobId);
    return raw ? (JSON.parse(raw) as Estimate) : null;
  } catch {
    return null;
  }
}
