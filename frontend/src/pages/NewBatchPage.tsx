// `/batches/new`: a base job (seed data, template version, size, budget, chat format) and the values
// to sweep. The API's estimate (POST /batches/estimate, every check a submission makes) shows the
// number of jobs and their cost before anything is created; its refusals are shown as it says them.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent, ReactNode } from "react";
import { useNavigate } from "react-router-dom";
import { batchesApi, batchKeys, MAX_BATCH_JOBS, type BatchEstimate } from "../api/batches";
import { queryKeys, refreshAfterWrite, useTemplate } from "../api/hooks";
import { useApi } from "../auth/AuthContext";
import { Alert } from "../components/Alert";
import { ChatFormatField } from "../components/ChatFormatField";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { Crumbs, PageHeader, Panel } from "../components/Layout";
import { SeedDataPanel, useSampleNames } from "../components/SeedDataPanel";
import { TemplatePanel, useVersionsDefaultingToLatest } from "../components/TemplatePanel";
import { formatParam } from "../lib/batchCompare";
import {
  initialBatchForm,
  jobCount,
  serverFieldError,
  TIERS,
  toCreateBatchRequest,
  validateBatchForm,
  type BatchFormValues,
} from "../lib/batchForm";
import { formatUsd } from "../lib/format";
import { useSubmissionKey } from "../lib/submissionKey";
import { useCheckedForm } from "../lib/useCheckedForm";

export function NewBatchPage() {
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const { values, setValues, set, update, errors, check, showFieldError } = useCheckedForm(initialBatchForm, validateBatchForm);

  const { sampleNames } = useSampleNames();
  const template = useTemplate(values.templateId || null, values.templateVersion ? Number(values.templateVersion) : null);
  const steps = template.data?.document.steps ?? [];

  function toggle<K extends "tiers" | "versions" | "sweepDatasets">(key: K, value: BatchFormValues[K][number]) {
    setValues((current) => {
      const list = current[key] as (typeof value)[];
      const next = list.includes(value) ? list.filter((item) => item !== value) : [...list, value];
      return { ...current, [key]: next };
    });
  }

  // A template's versions arrive after it is chosen: default to the latest.
  const versions = useVersionsDefaultingToLatest(values.templateId, values.templateVersion, (latest) =>
    setValues((current) => ({ ...current, templateVersion: latest, versions: [] })),
  );

  // The estimate follows every valid form: it says how many jobs and what they cost, or why not.
  const live = validateBatchForm(values);
  const estimateRequest = Object.keys(live).length === 0 ? toCreateBatchRequest(values) : null;
  const estimate = useQuery({
    queryKey: ["batch-estimate", estimateRequest],
    queryFn: () => batchesApi(api).estimate(estimateRequest!),
    enabled: estimateRequest !== null,
    retry: false,
  });

  const submissionKey = useSubmissionKey();
  const create = useMutation({
    mutationFn: () => {
      const request = toCreateBatchRequest(values);
      return batchesApi(api).create(request, submissionKey(request));
    },
    onSuccess: (created) => {
      void refreshAfterWrite(queryClient, batchKeys.list);
      void refreshAfterWrite(queryClient, queryKeys.jobs);
      navigate(`/batches/${encodeURIComponent(created.batch.batch_id)}`);
    },
    onError: (error) => showFieldError(serverFieldError(error.message)),
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (check()) create.mutate();
  }

  const count = jobCount(values);

  return (
    <>
      <PageHeader
        title="Create batch"
        breadcrumbs={<Crumbs to="/batches" parent="Batches" current="Create batch" />}
        description={`One job for every combination of the values you choose (at most ${MAX_BATCH_JOBS}), each with the same budget. Every job is checked before any is queued.`}
      />
      <form onSubmit={onSubmit} noValidate className="form">
        <Panel title="Batch">
          <Field id="batch-name" label="Batch name" error={errors.name} hint="Each job is named after it and the values it takes.">
            <input type="text" value={values.name} maxLength={200} onChange={(e) => set("name", e.target.value)} autoComplete="off" />
          </Field>
        </Panel>

        <SeedDataPanel values={values} errors={errors} onChange={update} fileHint="JSON Lines or a JSON array; at most 50 MiB." />

        <TemplatePanel
          values={values}
          errors={errors}
          versions={versions}
          onTemplateChange={(templateId) => setValues((current) => ({ ...current, templateId, templateVersion: "", versions: [], modelStep: "" }))}
          onVersionChange={(version) => set("templateVersion", version)}
          versionHint="Unless you sweep versions below."
        />

        <Panel title="Each job">
          <div className="field-pair">
            <Field id="records" label="Records per job" error={errors.records} hint="Unless you sweep record counts below.">
              <input type="number" min={1} step={1} inputMode="numeric" value={values.records} onChange={(e) => set("records", e.target.value)} />
            </Field>
            <Field id="budget" label="Budget per job (USD)" error={errors.budget} hint="A hard stop for each job.">
              <input type="number" min={0.01} step={0.01} inputMode="decimal" value={values.budget} onChange={(e) => set("budget", e.target.value)} />
            </Field>
          </div>
          <ChatFormatField
            value={values.chatFormat}
            error={errors.chatFormat}
            hint="Each job also exports dataset.chat.jsonl in this format."
            onChange={(format) => set("chatFormat", format)}
          />
        </Panel>

        <Panel title="Sweep" testId="batch-sweep">
          <p className="muted">Choose the values to try along one or more dimensions; a dimension left empty keeps the base job's value.</p>
          <Choices legend="Models or tiers" error={errors.models} id="sweep-models">
            <div className="radio-group" style={{ alignItems: "center", flexWrap: "wrap" }}>
              <label htmlFor="model-step" className="checkbox">
                Put on
                <select id="model-step" value={values.modelStep} onChange={(e) => set("modelStep", e.target.value)}>
                  <option value="">Every step</option>
                  {steps.map((step) => (
                    <option key={step.id} value={step.id}>
                      Step {step.id} only
                    </option>
                  ))}
                </select>
              </label>
              {TIERS.map((tier) => (
                <label key={tier.value} className="checkbox">
                  <input type="checkbox" checked={values.tiers.includes(tier.value)} onChange={() => toggle("tiers", tier.value)} />
                  {tier.label}
                </label>
              ))}
            </div>
            <Field id="sweep-model-ids" label="More models or tiers" optional hint="Model ids or tier names, separated by commas.">
              <input type="text" value={values.models} onChange={(e) => set("models", e.target.value)} autoComplete="off" placeholder="llama-3.1-8b, tier-2" />
            </Field>
          </Choices>
          {(versions.data?.length ?? 0) > 1 && (
            <Choices legend="Template versions" error={errors.versions} id="sweep-versions">
              <div className="radio-group">
                {(versions.data ?? []).map((v) => (
                  <label key={v.version} className="checkbox">
                    <input type="checkbox" checked={values.versions.includes(v.version)} onChange={() => toggle("versions", v.version)} />
                    {`Version ${v.version}`}
                  </label>
                ))}
              </div>
            </Choices>
          )}
          <div className="field-pair">
            <Field id="sweep-records" label="Record counts" optional error={errors.sweepRecords} hint="e.g. 5, 10, 20">
              <input type="text" inputMode="numeric" value={values.sweepRecords} onChange={(e) => set("sweepRecords", e.target.value)} autoComplete="off" />
            </Field>
            <Field id="sweep-temperature" label="Temperatures" optional error={errors.sweepTemperature} hint="0 to 1 on every step, e.g. 0.2, 0.7">
              <input type="text" inputMode="decimal" value={values.sweepTemperature} onChange={(e) => set("sweepTemperature", e.target.value)} autoComplete="off" />
            </Field>
          </div>
          {values.seedSource === "sample" && sampleNames.length > 1 && (
            <Choices legend="Sample datasets" error={errors.sweepDatasets} id="sweep-datasets">
              <div className="radio-group">
                {sampleNames.map((dataset) => (
                  <label key={dataset.name} className="checkbox">
                    <input type="checkbox" checked={values.sweepDatasets.includes(dataset.name)} onChange={() => toggle("sweepDatasets", dataset.name)} />
                    {`Dataset ${dataset.name}`}
                  </label>
                ))}
              </div>
            </Choices>
          )}
          <p data-testid="batch-job-count" className={count > MAX_BATCH_JOBS ? "warning-text" : undefined}>
            {count === 0
              ? "No dimension swept yet."
              : `This sweep makes ${count} job${count === 1 ? "" : "s"}.`}
          </p>
          {/* A server refusal the estimate below already shows is not said twice. */}
          {errors.sweep && errors.sweep !== estimate.error?.message && (
            <p id="sweep-error" className="field-error" role="alert" data-testid="sweep-error">
              {errors.sweep}
            </p>
          )}
          <BatchEstimatePanel requested={estimateRequest !== null} loading={estimate.isFetching} data={estimate.data} error={estimate.error?.message ?? null} />
        </Panel>

        <FormActions
          submission={create}
          errorTitle="The batch was not created"
          errorTestId="batch-form-error"
          cancelTo="/batches"
          disabled={values.uploading}
          label="Create batch"
          busyLabel="Creating…"
        />
      </form>
    </>
  );
}

/** A group of choices for one dimension, with its error beside it. */
function Choices({ legend, error, id, children }: { legend: string; error?: string; id: string; children: ReactNode }) {
  return (
    <fieldset aria-describedby={error ? `${id}-error` : undefined} style={{ border: "none", padding: 0, margin: "0 0 12px", minWidth: 0 }}>
      <legend className="field-label" style={{ padding: 0 }}>
        {legend}
      </legend>
      {children}
      {error && (
        <span id={`${id}-error`} className="field-error" role="alert">
          {error}
        </span>
      )}
    </fieldset>
  );
}

export function BatchEstimatePanel({ requested, loading, data, error }: { requested: boolean; loading: boolean; data: BatchEstimate | undefined; error: string | null }) {
  let body;
  if (!requested) body = <p className="muted">The estimate appears once the form is complete.</p>;
  else if (error)
    body = (
      <Alert kind="error" title="This batch cannot be created" testId="batch-estimate-error">
        {error}
      </Alert>
    );
  else if (!data) body = <p className="muted">{loading ? "Estimating…" : ""}</p>;
  else
    body = (
      <>
        <dl className="estimate-figures">
          <div>
            <dt>Jobs</dt>
            <dd data-testid="batch-estimate-jobs">{data.job_count}</dd>
          </div>
          <div>
            <dt>Expected cost</dt>
            <dd data-testid="batch-estimate-expected">{formatUsd(data.expected_cost_usd)}</dd>
          </div>
          <div>
            <dt>Worst case</dt>
            <dd>{formatUsd(data.max_cost_usd)}</dd>
          </div>
        </dl>
        <table className="table compact">
          <caption className="sr-only">The jobs this batch makes</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Varies</th>
              <th scope="col" className="num">
                Expected cost
              </th>
            </tr>
          </thead>
          <tbody>
            {data.jobs.map((job) => (
              <tr key={job.name} data-testid="batch-estimate-row">
                <td>{job.name}</td>
                <td>
                  {Object.entries(job.params)
                    .map(([name, value]) => `${name} ${formatParam(name, value)}`)
                    .join(" · ")}
                </td>
                <td className="num">{formatUsd(job.expected_cost_usd)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </>
    );
  return (
    <div data-testid="batch-estimate" className="job-estimate" aria-live="polite">
      <h3 className="subheading">Estimate</h3>
      {body}
    </div>
  );
}
