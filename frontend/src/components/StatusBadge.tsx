// A job's status as a coloured badge; the text is exactly the status (the e2e tests read it).

const TONES: Record<string, string> = {
  QUEUED: "pending",
  RUNNING: "progress",
  EXPORTING: "progress",
  COMPLETED: "success",
  FAILED: "error",
  CANCELLED: "stopped",
  BUDGET_EXCEEDED: "warning",
};

export function statusTone(status: string): string {
  return TONES[status] ?? "stopped";
}

export function StatusBadge({ status }: { status: string }) {
  const tone = statusTone(status);
  return (
    <span className={`badge badge-${tone}`} data-testid="job-status" title={status}>
      {status}
    </span>
  );
}
