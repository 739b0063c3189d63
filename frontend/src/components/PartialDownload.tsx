// "Records so far": a download of what a running (or failed) job has generated, prepared on
// request by the API (it can take a while for a big job) and linked once ready.
import { useSnapshot } from "../api/progress";
import { formatBytes, formatDateTime } from "../lib/format";
import { Alert } from "./Alert";
import { Panel } from "./Layout";

export function PartialDownload({ jobId }: { jobId: string }) {
  const { snapshot, prepare } = useSnapshot(jobId);
  const state = snapshot.data;
  const preparing = prepare.isPending || state?.status === "PREPARING";
  return (
    <Panel
      title="Records so far"
      testId="partial-download"
      actions={<span className="muted small">A JSON Lines file of every record committed until you ask</span>}
    >
      <div className="partial-download">
        <button
          type="button"
          className="btn"
          data-testid="partial-download-prepare"
          onClick={() => prepare.mutate()}
          disabled={preparing}
        >
          {preparing ? "Preparing…" : state?.status === "READY" ? "Prepare again" : "Prepare download"}
        </button>
        {state?.status === "READY" && state.url && (
          <span>
            <a className="btn primary" href={state.url} download data-testid="partial-download-link" rel="noopener">
              Download {state.records?.toLocaleString()} records
            </a>{" "}
            <span className="muted small">
              {formatBytes(state.bytes ?? 0)}, as of {formatDateTime(state.created_at)}
            </span>
          </span>
        )}
      </div>
      {prepare.error && (
        <Alert kind="error" title="The download could not be prepared">
          {prepare.error.message}
        </Alert>
      )}
    </Panel>
  );
}
