// The new-job and new-batch forms' "Seed data" panel: a sample dataset, or a file uploaded straight to S3
// through a presigned POST (its progress said beneath), or seed records a model generates.
import { useMemo, useState, type ChangeEvent } from "react";
import { seedContentType } from "../api/client";
import { useSampleDatasets } from "../api/hooks";
import { useApi } from "../auth/AuthContext";
import { formatBytes } from "../lib/format";
import type { JobFieldErrors, JobFieldValues } from "../lib/jobFields";
import { Alert } from "./Alert";
import { Field } from "./Field";
import { GenerateSeeds } from "./GenerateSeeds";
import { Panel } from "./Layout";

export type SeedFieldValues = Pick<JobFieldValues, "seedSource" | "sampleDataset" | "seedKey" | "uploading" | "templateId" | "templateVersion">;

export interface SampleName {
  name: string;
  key: string;
  size: number;
}

/** The sample datasets, one entry a name (the first file listed under it). */
export function useSampleNames() {
  const datasets = useSampleDatasets();
  const sampleNames = useMemo(() => {
    const seen = new Map<string, SampleName>();
    for (const dataset of datasets.data ?? []) {
      if (!seen.has(dataset.name)) seen.set(dataset.name, { name: dataset.name, key: dataset.key, size: dataset.size_bytes });
    }
    return [...seen.values()];
  }, [datasets.data]);
  return { datasets, sampleNames };
}

interface UploadState {
  status: "idle" | "uploading" | "done" | "error";
  text?: string;
}

export interface SeedDataPanelProps {
  values: SeedFieldValues;
  errors: Pick<JobFieldErrors, "sampleDataset" | "seedKey">;
  /** Applies a change to the form's values (merged into the current ones). */
  onChange(change: Partial<SeedFieldValues>): void;
  /** The sample dataset select's hint (none while the datasets failed to load). */
  sampleHint?: string;
  /** The file input's hint. */
  fileHint: string;
  /** Name each sample dataset's file beside its size. */
  showSampleFile?: boolean;
}

export function SeedDataPanel({ values, errors, onChange, sampleHint, fileHint, showSampleFile = false }: SeedDataPanelProps) {
  const api = useApi();
  const { datasets, sampleNames } = useSampleNames();
  const [upload, setUpload] = useState<UploadState>({ status: "idle" });

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) {
      onChange({ seedKey: "" });
      setUpload({ status: "idle" });
      return;
    }
    setUpload({ status: "uploading", text: `Uploading ${file.name}…` });
    onChange({ uploading: true, seedKey: "" });
    try {
      const target = await api.createSeedUpload({ filename: file.name, content_type: seedContentType(file.name), size_bytes: file.size });
      await api.uploadSeedFile(target, file);
      setUpload({ status: "done", text: `Uploaded ${file.name} (${formatBytes(file.size)}).` });
      onChange({ uploading: false, seedKey: target.key });
    } catch (error) {
      setUpload({ status: "error", text: `The upload of ${file.name} failed: ${error instanceof Error ? error.message : String(error)}` });
      onChange({ uploading: false, seedKey: "" });
    }
  }

  return (
    <Panel title="Seed data">
      <fieldset className="radio-group">
        <legend className="sr-only">Seed data source</legend>
        <label className="radio">
          <input type="radio" name="seed-source" value="sample" checked={values.seedSource === "sample"} onChange={() => onChange({ seedSource: "sample" })} />
          Sample dataset
        </label>
        <label className="radio">
          <input type="radio" name="seed-source" value="upload" checked={values.seedSource === "upload"} onChange={() => onChange({ seedSource: "upload" })} />
          Upload a file
        </label>
      </fieldset>
      {values.seedSource === "sample" ? (
        <Field id="sample-dataset" label="Sample dataset" error={errors.sampleDataset} hint={datasets.error ? undefined : sampleHint}>
          <select value={values.sampleDataset} onChange={(e) => onChange({ sampleDataset: e.target.value })} disabled={datasets.isPending}>
            <option value="">{datasets.isPending ? "Loading…" : "Choose a sample dataset"}</option>
            {sampleNames.map((dataset) => (
              <option key={dataset.name} value={dataset.name}>
                {`${dataset.name} (${showSampleFile ? `${dataset.key.split("/").pop()}, ` : ""}${formatBytes(dataset.size)})`}
              </option>
            ))}
          </select>
        </Field>
      ) : (
        <Field id="seed-file" label="Seed data file" error={errors.seedKey} hint={fileHint}>
          <input type="file" accept=".jsonl,.ndjson,.json,application/json,application/x-ndjson" onChange={(e) => void onFile(e)} />
        </Field>
      )}
      {values.seedSource === "upload" && upload.status !== "idle" && (
        <p className={`upload-status ${upload.status}`} role="status">
          {upload.text}
        </p>
      )}
      {datasets.error && <Alert kind="error">{datasets.error.message}</Alert>}
      <GenerateSeeds
        templateId={values.templateId}
        templateVersion={values.templateVersion}
        onGenerated={(key) => onChange({ seedSource: "upload", seedKey: key, uploading: false })}
      />
    </Panel>
  );
}
