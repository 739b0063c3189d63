// `/batches`: the caller's parameter sweeps, newest first; and the batch routes under it.
import { Link, Route, Routes } from "react-router-dom";
import { useBatches } from "../api/batches";
import { Alert } from "../components/Alert";
import { PageHeader, Panel } from "../components/Layout";
import { dimensionLabel } from "../lib/batchCompare";
import { formatDateTime, formatUsd } from "../lib/format";
import { BatchPage } from "./BatchPage";
import { NewBatchPage } from "./NewBatchPage";

/** `/batches`, `/batches/new` and `/batches/:batchId` (one line in App's routes). */
export function BatchesRoutes() {
  return (
    <Routes>
      <Route index element={<BatchesPage />} />
      <Route path="new" element={<NewBatchPage />} />
      <Route path=":batchId" element={<BatchPage />} />
    </Routes>
  );
}

export function BatchesPage() {
  const batches = useBatches();
  return (
    <>
      <PageHeader
        title="Batches"
        description="Parameter sweeps: up to 20 jobs that differ by model, temperature, template version, seed data or size, compared side by side."
        actions={
          <Link to="/batches/new" className="btn primary">
            New batch
          </Link>
        }
      />
      <Panel>
        {batches.error && <Alert kind="error">{batches.error.message}</Alert>}
        {batches.isPending ? (
          <p className="muted">Loading your batches…</p>
        ) : !batches.data?.length ? (
          <div className="empty">
            <p>No batch yet. A batch runs one job for every combination of the values you choose.</p>
          </div>
        ) : (
          <table className="table" data-testid="batches-table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Varies</th>
                <th className="num">Jobs</th>
                <th className="num">Estimated cost</th>
                <th>Created</th>
              </tr>
            </thead>
            <tbody>
              {batches.data.map((batch) => (
                <tr key={batch.batch_id} data-testid="batch-row">
                  <td>
                    <Link to={`/batches/${encodeURIComponent(batch.batch_id)}`}>{batch.name}</Link>
                  </td>
                  <td>{batch.dimensions.map(dimensionLabel).join(", ")}</td>
                  <td className="num">{batch.job_count}</td>
                  <td className="num">{formatUsd(batch.estimated_cost_usd)}</td>
                  <td>{formatDateTime(batch.created_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Panel>
    </>
  );
}
