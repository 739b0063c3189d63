// `/jobs/new`: seed data (a sample or an upload), a template version, size, budget, priority.
// Seed data is checked against the template as soon as both are chosen, and the API's cost
// estimate (POST /jobs/estimate, the same checks as a submission) is shown before launching.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState, type ChangeEvent, type FormEvent } from "react";
import { Link, useNavigate, useSearchParams } from "react-router-dom";
import { seedContentType } from "../api/client";
import { queryKeys, refreshAfterWrite, useSampleDatasets, useTemplate, useTemplates, useTemplateVersions } from "../api/hooks";
import type { Estimate, SeedValidation, TemplateStepDoc } from "../api/types";
import { useApi } from "../auth/AuthContext";
import { Alert } from "../components/Alert";
import { Field } from "../components/Field";
import { GenerateSeeds } from "../components/GenerateSeeds";
import { PageHeader, Panel } from "../components/Layout";
import { rememberEstimate } from "../lib/estimates";
import { formatBytes, formatUsd } from "../lib/format";
import {
  CHAT_FORMATS,
  initialJobForm,
  serverFieldError,
  toCreateJobRequest,
  validateJobForm,
  type JobFormErrors,
  type JobFormValues,
} from "../lib/jobForm";

interface UploadState {
  status: "idle" | "uploading" | "done" | "error";
  fileName?: string;
  size?: number;
  error?: string;
}

export function NewJobPage() {
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const [values, setValues] = useState<JobFormValues>(() => ({ ...initialJobForm, templateId: params.get("template") ?? "" }));
  const [errors, setErrors] = useState<JobFormErrors>({});
  const [submitted, setSubmitted] = useState(false);
  const [upload, setUpload] = useState<UploadState>({ status: "idle" });

  const datasets = useSampleDatasets();
  const templates = useTemplates();
  const versions = useTemplateVersions(values.templateId || null);
  const template = useTemplate(values.templateId || null, values.templateVersion ? Number(values.templateVersion) : null);

  function set<K extends keyof JobFormValues>(key: K, value: JobFormValues[K]) {
    setValues((current) => ({ ...current, [key]: value }));
  }

  // After the first attempt to submit, the errors follow the values as they are corrected.
  useEffect(() => {
    if (submitted) setErrors(validateJobForm(values));
  }, [submitted, values]);

  // A template's versions arrive after it is chosen: default to the latest.
  useEffect(() => {
    const list = versions.data;
    if (!list || list.length === 0) return;
    if (!list.some((v) => String(v.version) === values.templateVersion)) {
      setValues((current) => ({ ...current, templateVersion: String(list[0]!.version) }));
    }
  }, [versions.data, values.templateVersion]);

  const sampleNames = useMemo(() => {
    const seen = new Map<string, { name: string; key: string; size: number }>();
    for (const dataset of datasets.data ?? []) {
      if (!seen.has(dataset.name)) seen.set(dataset.name, { name: dataset.name, key: dataset.key, size: dataset.size_bytes });
    }
    return [...seen.values()];
  }, [datasets.data]);

  const seedChosen = values.seedSource === "sample" ? values.sampleDataset : values.seedKey;
  const validationRequest =
    values.templateId && values.templateVersion && seedChosen
      ? {
          template_id: values.templateId,
          template_version: Number(values.templateVersion),
          ...(values.seedSource === "sample" ? { sample_dataset: values.sampleDataset } : { seed_data_key: values.seedKey }),
        }
      : null;
  const validation = useQuery({
    queryKey: ["seed-validation", validationRequest],
    queryFn: () => api.validateSeed(validationRequest!),
    enabled: validationRequest !== null,
    retry: false,
  });

  // The estimate needs valid seed data, a template and a size; it follows every change.
  const records = Number(values.records);
  const budget = Number(values.budget);
  const estimateRequest =
    validation.data?.valid && Number.isInteger(records) && records > 0 && budget > 0
      ? { ...toCreateJobRequest(values), name: values.name.trim() || "estimate" }
      : null;
  const estimate = useQuery({
    queryKey: ["job-estimate", estimateRequest],
    queryFn: () => api.estimateJob(estimateRequest!),
    enabled: estimateRequest !== null,
    retry: false,
  });

  const create = useMutation({
    mutationFn: () => api.createJob(toCreateJobRequest(values)),
    onSuccess: (created) => {
      rememberEstimate(created.job.job_id, created.estimate);
      void refreshAfterWrite(queryClient, queryKeys.jobs);
      navigate(`/jobs/${encodeURIComponent(created.job.job_id)}`, { state: { estimate: created.estimate } });
    },
    onError: (error) => {
      const field = serverFieldError(error.message);
      if (field) setErrors((current) => ({ ...current, [field.field]: field.message }));
    },
  });

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    if (!file) {
      set("seedKey", "");
      setUpload({ status: "idle" });
      return;
    }
    setUpload({ status: "uploading", fileName: file.name, size: file.size });
    setValues((current) => ({ ...current, uploading: true, seedKey: "" }));
    try {
      const target = await api.createSeedUpload({
        filename: file.name,
        content_type: seedContentType(file.name),
        size_bytes: file.size,
      });
      await api.uploadSeedFile(target, file);
      setUpload({ status: "done", fileName: file.name, size: file.size });
      setValues((current) => ({ ...current, uploading: false, seedKey: target.key }));
    } catch (error) {
      setUpload({ status: "error", fileName: file.name, error: error instanceof Error ? error.message : String(error) });
      setValues((current) => ({ ...current, uploading: false, seedKey: "" }));
    }
  }

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    setSubmitted(true);
    const found = validateJobForm(values);
    setErrors(found);
    if (Object.keys(found).length > 0) return;
    create.mutate();
  }

  const own = (templates.data ?? []).filter((t) => t.owner !== "builtin");
  const builtin = (templates.data ?? []).filter((t) => t.owner === "builtin");
  const steps: TemplateStepDoc[] = template.data?.document.steps ?? [];

  return (
    <>
      <PageHeader
        title="Create job"
        breadcrumbs={
          <>
            <Link to="/">Job list</Link> <span aria-hidden="true">›</span> <span>Create job</span>
          </>
        }
        description="Pick seed data and a template, set the size and a hard budget. The job queues, runs, and ends as JSONL, Parquet and CSV datasets."
      />
      <form onSubmit={onSubmit} noValidate className="form">
        <Panel title="Job details">
          <div className="field-pair">
          <Field id="job-name" label="Job name" error={errors.name}>
            <input type="text" value={values.name} maxLength={200} onChange={(e) => set("name", e.target.value)} autoComplete="off" />
          </Field>
          <Field id="job-priority" label="Priority" hint="0–9; higher runs first, first come first served within a priority." error={errors.priority}>
            <select value={values.priority} onChange={(e) => set("priority", e.target.value)}>
              {Array.from({ length: 10 }, (_, n) => 9 - n).map((n) => (
                <option key={n} value={String(n)}>
                  {n}
                  {n === 5 ? " (default)" : ""}
                </option>
              ))}
            </select>
          </Field>
          </div>
        </Panel>

        <Panel title="Seed data">
          <fieldset className="radio-group">
            <legend className="sr-only">Seed data source</legend>
            <label className="radio">
              <input
                type="radio"
                name="seed-source"
                value="sample"
                checked={values.seedSource === "sample"}
                onChange={() => set("seedSource", "sample")}
              />
              Sample dataset
            </label>
            <label className="radio">
              <input
                type="radio"
                name="seed-source"
                value="upload"
                checked={values.seedSource === "upload"}
                onChange={() => set("seedSource", "upload")}
              />
              Upload a file
            </label>
          </fieldset>
          {values.seedSource === "sample" ? (
            <Field id="sample-dataset" label="Sample dataset" error={errors.sampleDataset} hint={datasets.error ? undefined : "Shared datasets anyone may start from."}>
              <select value={values.sampleDataset} onChange={(e) => set("sampleDataset", e.target.value)} disabled={datasets.isPending}>
                <option value="">{datasets.isPending ? "Loading…" : "Choose a sample dataset"}</option>
                {sampleNames.map((dataset) => (
                  <option key={dataset.name} value={dataset.name}>
                    {dataset.name} ({dataset.key.split("/").pop()}, {formatBytes(dataset.size)})
                  </option>
                ))}
              </select>
            </Field>
          ) : (
            <Field
              id="seed-file"
              label="Seed data file"
              error={errors.seedKey}
              hint="JSON Lines (.jsonl, one record per line) or a JSON array (.json); at most 50 MiB. It uploads straight to S3."
            >
              <input type="file" accept=".jsonl,.ndjson,.json,application/json,application/x-ndjson" onChange={(e) => void onFile(e)} />
            </Field>
          )}
          {values.seedSource === "upload" && upload.status !== "idle" && (
            <p className={`upload-status ${upload.status}`} role="status">
              {upload.status === "uploading" && `Uploading ${upload.fileName}…`}
              {upload.status === "done" && `Uploaded ${upload.fileName} (${formatBytes(upload.size ?? 0)}).`}
              {upload.status === "error" && `The upload of ${upload.fileName} failed: ${upload.error}`}
            </p>
          )}
          {datasets.error && <Alert kind="error">{datasets.error.message}</Alert>}
          <GenerateSeeds templateId={values.templateId} templateVersion={values.templateVersion} onGenerated={(key) => setValues((current) => ({ ...current, seedSource: "upload", seedKey: key, uploading: false }))} />
        </Panel>

        <Panel title="Template">
          <div className="field-pair">
            <Field id="template" label="Template" error={errors.templateId}>
              <select
                value={values.templateId}
                onChange={(e) => setValues((current) => ({ ...current, templateId: e.target.value, templateVersion: "" }))}
                disabled={templates.isPending}
              >
                <option value="">{templates.isPending ? "Loading…" : "Choose a template"}</option>
                {own.length > 0 && (
                  <optgroup label="Your templates">
                    {own.map((t) => (
                      <option key={t.template_id} value={t.template_id}>
                        {t.name} ({t.template_id})
                      </option>
                    ))}
                  </optgroup>
                )}
                <optgroup label="Built-in">
                  {builtin.map((t) => (
                    <option key={t.template_id} value={t.template_id}>
                      {t.name} ({t.template_id})
                    </option>
                  ))}
                </optgroup>
              </select>
            </Field>
            <Field id="template-version" label="Version" error={errors.templateVersion}>
              <select value={values.templateVersion} onChange={(e) => set("templateVersion", e.target.value)} disabled={!values.templateId || versions.isPending}>
                {!values.templateId && <option value="">—</option>}
                {(versions.data ?? []).map((v, index) => (
                  <option key={v.version} value={String(v.version)}>
                    {`v${v.version}${index === 0 ? " (latest)" : ""}`}
                  </option>
                ))}
              </select>
            </Field>
          </div>
          {templates.error && <Alert kind="error">{templates.error.message}</Alert>}
          {versions.error && <Alert kind="error">{versions.error.message}</Alert>}
          {template.error && <Alert kind="error">{template.error.message}</Alert>}
          {steps.length > 0 && (
            <table className="table compact steps-table">
              <caption className="sr-only">Steps of the template</caption>
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Model or tier</th>
                  <th scope="col" className="num">
                    Max tokens
                  </th>
                  <th scope="col" className="num">
                    Temperature
                  </th>
                </tr>
              </thead>
              <tbody>
                {steps.map((step) => (
                  <tr key={step.id}>
                    <td className="mono">{step.id}</td>
                    <td>
                      {step.model ? (
                        <span className="mono">{step.model}</span>
                      ) : (
                        <span className="badge badge-info">{step.model_tier}</span>
                      )}
                    </td>
                    <td className="num">{step.max_tokens ?? "default"}</td>
                    <td className="num">{step.temperature ?? "default"}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <SeedValidationResult
            requested={validationRequest !== null}
            loading={validation.isFetching}
            data={validation.data}
            error={validation.error?.message ?? null}
          />
        </Panel>

        <Panel title="Size and budget">
          <div className="field-pair">
            <Field id="records" label="Records" error={errors.records} hint="How many records to generate (seed records are used round-robin).">
              <input type="number" min={1} max={1000000} step={1} inputMode="numeric" value={values.records} onChange={(e) => set("records", e.target.value)} />
            </Field>
            <Field id="budget" label="Budget (USD)" error={errors.budget} hint="A hard stop: the job ends when its model spend reaches it.">
              <input type="number" min={0.01} step={0.01} inputMode="decimal" value={values.budget} onChange={(e) => set("budget", e.target.value)} />
            </Field>
          </div>
          <Field
            id="category-field"
            label="Category field"
            optional
            error={errors.categoryField}
            hint="A record field to partition the exports by, e.g. fields.category."
          >
            <input type="text" value={values.categoryField} onChange={(e) => set("categoryField", e.target.value)} placeholder="fields.category" autoComplete="off" />
          </Field>
          <Field
            id="chat-format"
            label="Chat format"
            optional
            error={errors.chatFormat}
            hint="Also export dataset.chat.jsonl for fine-tuning: each step's prompt as the user turn, its output as the assistant's."
          >
            <select value={values.chatFormat} onChange={(e) => set("chatFormat", e.target.value as JobFormValues["chatFormat"])}>
              <option value="">None (raw records only)</option>
              {CHAT_FORMATS.map((format) => (
                <option key={format.value} value={format.value}>
                  {format.label}
                </option>
              ))}
            </select>
          </Field>
          <EstimatePanel
            requested={estimateRequest !== null}
            loading={estimate.isFetching}
            data={estimate.data}
            error={estimate.error?.message ?? null}
            budget={budget}
          />
        </Panel>

        {create.error && (
          <Alert kind="error" title="The job was not created" testId="job-form-error">
            {create.error.message}
          </Alert>
        )}
        <div className="form-actions">
          <Link to="/" className="btn">
            Cancel
          </Link>
          <button type="submit" className="btn primary" disabled={create.isPending || values.uploading}>
            {create.isPending ? "Launching…" : "Launch job"}
          </button>
        </div>
      </form>
    </>
  );
}

export function SeedValidationResult({ requested, loading, data, error }: { requested: boolean; loading: boolean; data: SeedValidation | undefined; error: string | null }) {
  let body;
  if (!requested) body = <p className="muted">Choose seed data and a template to check that every record has the fields the template reads.</p>;
  else if (error) body = <Alert kind="error" title="The seed data could not be checked">{error}</Alert>;
  else if (!data) body = <p className="muted">{loading ? "Checking the seed data against the template…" : ""}</p>;
  else if (data.valid)
    body = (
      <Alert kind="success">
        All {data.records} records have the fields the template reads
        {data.required_fields.length > 0 ? (
          <>
            : <span className="mono">{data.required_fields.join(", ")}</span>
          </>
        ) : null}
        .
      </Alert>
    );
  else
    body = (
      <Alert kind="warning" title={`${data.missing.length >= 100 ? "100 or more" : data.missing.length} of ${data.records} records are missing fields`}>
        <ul className="missing-list">
          {data.missing.map((entry) => (
            <li key={entry.record}>
              Record {entry.record}: missing <span className="mono">{entry.fields.join(", ")}</span>
            </li>
          ))}
        </ul>
      </Alert>
    );
  return (
    <div data-testid="seed-validation" className="seed-validation" aria-live="polite">
      {body}
    </div>
  );
}

export function EstimatePanel({
  requested,
  loading,
  data,
  error,
  budget,
}: {
  requested: boolean;
  loading: boolean;
  data: Estimate | undefined;
  error: string | null;
  budget: number;
}) {
  let body;
  if (!requested) body = <p className="muted">The cost estimate appears once the seed data, template, records and budget are valid.</p>;
  else if (error) body = <Alert kind="error" title="No estimate">{error}</Alert>;
  else if (!data) body = <p className="muted">{loading ? "Estimating…" : ""}</p>;
  else
    body = (
      <>
        <dl className="estimate-figures">
          <div>
            <dt>Expected cost</dt>
            <dd data-testid="estimate-expected">{formatUsd(data.expected_cost_usd)}</dd>
          </div>
          <div>
            <dt>Worst case</dt>
            <dd data-testid="estimate-max">{formatUsd(data.max_cost_usd)}</dd>
          </div>
          <div>
            <dt>Expected tokens</dt>
            <dd>{data.expected_tokens.toLocaleString("en-US")}</dd>
          </div>
        </dl>
        {data.expected_cost_usd > budget ? (
          <Alert kind="warning">
            The budget is below the expected cost: the job will most likely stop at its budget (BUDGET_EXCEEDED) before
            making all {data.records.toLocaleString("en-US")} records.
          </Alert>
        ) : data.max_cost_usd > budget ? (
          <Alert kind="info">The budget covers the expected cost but not the worst case; the job stops if it reaches it.</Alert>
        ) : null}
      </>
    );
  return (
    <div data-testid="job-estimate" className="job-estimate" aria-live="polite">
      <h3 className="subheading">Cost estimate</h3>
      {body}
    </div>
  );
}
