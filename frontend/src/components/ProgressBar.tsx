import { formatProgress, progressPercent } from "../lib/format";

export function ProgressBar({ done, total, testId, large = false }: { done: number; total: number; testId?: string; large?: boolean }) {
  const percent = progressPercent(done, total);
  return (
    <div className={`progress${large ? " progress-large" : ""}`}>
      <div
        className="progress-track"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={total}
        aria-valuenow={done}
        aria-label="Records generated"
      >
        <div className="progress-fill" style={{ width: `${percent}%` }} />
      </div>
      <span className="progress-text" data-testid={testId}>
        {formatProgress(done, total)}
      </span>
    </div>
  );
}
