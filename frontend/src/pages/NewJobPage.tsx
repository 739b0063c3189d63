// `/jobs/new`: seed data (a sample or an upload), a template version, size, budget, priority.
// Seed data is checked against the template as soon as both are chosen, and the API's cost
// estimate (POST /jobs/estimate, the same checks as a submission) is shown before launching.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { FormEvent } from "react";
import { useNavigate, useSearchParams } from "react-router-dom";
import { queryKeys, refreshAfterWrite, useTemplate } from "../api/hooks";
import type { Estimate, SeedValidation, TemplateStepDoc } from "../api/types";
import { useApi } from "../auth/AuthContext";
import { Alert } from "../components/Alert";
import { ChatFormatField } from "../components/ChatFormatField";
import { Field } from "../components/Field";
import { FormActions } from "../components/FormActions";
import { Crumbs, PageHeader, Panel } from "../components/Layout";
import { SeedDataPanel } from "../components/SeedDataPanel";
import { TemplatePanel, useVersionsDefaultingToLatest } from "../components/TemplatePanel";
import { rememberEstimate } from "../lib/estimates";
import { formatUsd } from "../lib/format";
import {
  initialJobForm,
  serverFieldError,
  toCreateJobRequest,
  validateJobForm,
} from "../lib/jobForm";
import { useSubmissionKey } from "../lib/submissionKey";
import { useCheckedForm } from "../lib/useCheckedForm";

export function NewJobPage() {
  const api = useApi();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params] = useSearchParams();
  const { values, setValues, set, update, errors, check, showFieldError } = useCheckedForm(
    () => ({ ...initialJobForm, templateId: params.get("template") ?? "" }),
    validateJobForm,
  );

  const template = useTemplate(values.templateId || null, values.templateVersion ? Number(values.templateVersion) : null);

  // A template's versions arrive after it is chosen: default to the latest.
  const versions = useVersionsDefaultingToLatest(values.templateId, values.templateVersion, (latest) =>
    setValues((current) => ({ ...current, templateVersion: latest })),
  );

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

  const submissionKey = useSubmissionKey();
  const create = useMutation({
    mutationFn: () => {
      const request = toCreateJobRequest(values);
      return api.createJob(request, submissionKey(request));
    },
    onSuccess: (created) => {
      rememberEstimate(created.job.job_id, created.estimate);
      void refreshAfterWrite(queryClient, queryKeys.jobs);
      navigate(`/jobs/${encodeURIComponent(created.job.job_id)}`, { state: { estimate: created.estimate } });
    },
    onError: (error) => showFieldError(serverFieldError(error.message)),
  });

  function onSubmit(event: FormEvent) {
    event.preventDefault();
    if (check()) create.mutate();
  }

  const steps: TemplateStepDoc[] = template.data?.document.steps ?? [];

  return (
    <>
      <PageHeader
        title="Create job"
        breadcrumbs={<Crumbs to="/" parent="Job list" current="Create job" />}
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

        <SeedDataPanel
          values={values}
          errors={errors}
          onChange={update}
          sampleHint="Shared datasets anyone may start from."
          fileHint="JSON Lines (.jsonl, one record per line) or a JSON array (.json); at most 50 MiB. It uploads straight to S3."
          showSampleFile
        />

        <TemplatePanel
          values={values}
          errors={errors}
          versions={versions}
          onTemplateChange={(templateId) => setValues((current) => ({ ...current, templateId, templateVersion: "" }))}
          onVersionChange={(version) => set("templateVersion", version)}
        >
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
        </TemplatePanel>

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
          <ChatFormatField
            value={values.chatFormat}
            error={errors.chatFormat}
            hint="Also export dataset.chat.jsonl for fine-tuning: each step's prompt as the user turn, its output as the assistant's."
            onChange={(format) => set("chatFormat", format)}
          />
          <EstimatePanel
            requested={estimateRequest !== null}
            loading={estimate.isFetching}
            data={estimate.data}
            error={estimate.error?.message ?? null}
            budget={budget}
          />
        </Panel>

        <FormActions
          submission={create}
          errorTitle="The job was not created"
          errorTestId="job-form-error"
          cancelTo="/"
          disabled={values.uploading}
          label="Launch job"
          busyLabel="Launching…"
        />
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
