// The template editor's test run: the template as written (not yet saved) on 1–5 seed records
// from a sample dataset or typed JSON, on the free local model or a real one; every step's
// rendered prompt and output with its tokens, cost and model, and a step's error where it failed.
import { useMutation } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useSampleDatasets } from "../api/hooks";
import {
  answeredByLabel,
  MAX_TEST_SEEDS,
  MODEL_CHOICES,
  parseSeedText,
  runTemplateTest,
  type TestRunRequest,
  type TestRunResult,
} from "../api/testRuns";
import { useApi } from "../auth/AuthContext";
import { formatUsd } from "../lib/format";
import { parseTemplateYaml, SAMPLE_SEED_RECORD } from "../lib/templateYaml";
import { Alert } from "./Alert";
import { Panel } from "./Layout";

type Source = "sample" | "json";

export function TemplateTestRun({ text }: { text: string }) {
  const api = useApi();
  const datasets = useSampleDatasets();
  const [source, setSource] = useState<Source>("sample");
  const [sample, setSample] = useState("");
  const [count, setCount] = useState(1);
  const [seedText, setSeedText] = useState(SAMPLE_SEED_RECORD);
  const [model, setModel] = useState("local");
  const [problem, setProblem] = useState<string | null>(null);
  const names = useMemo(() => [...new Set((datasets.data ?? []).map((d) => d.name))], [datasets.data]);
  const chosenSample = sample || names[0] || "";

  const run = useMutation({
    mutationFn: (request: TestRunRequest) => runTemplateTest(api, request),
  });

  function start() {
    setProblem(null);
    const parsed = parseTemplateYaml(text);
    if (!parsed.ok) {
      setProblem(`Fix the template first. ${parsed.message}`);
      return;
    }
    const request: TestRunRequest = { template: parsed.document as Record<string, unknown>, model };
    if (source === "sample") {
      if (!chosenSample) {
        setProblem("Choose a sample dataset.");
        return;
      }
      request.sample_dataset = chosenSample;
      request.count = count;
    } else {
      const seeds = parseSeedText(seedText);
      if (!seeds.ok) {
        setProblem(seeds.message);
        return;
      }
      if (seeds.records.length > MAX_TEST_SEEDS) {
        setProblem(`A test run takes at most ${MAX_TEST_SEEDS} seed records; you gave ${seeds.records.length}.`);
        return;
      }
      request.seeds = seeds.records;
    }
    run.mutate(request);
  }

  return (
    <Panel title="Test run" className="test-run" testId="test-run-panel">
      <p className="hint">
        Runs the template as written (unsaved changes included) on a few seed records through the server&apos;s real template engine, and shows every step&apos;s prompt and
        output. The local model is free; a real model is billed, and a test run may cost at most $0.50.
      </p>
      <div className="test-run-form">
        <fieldset className="radio-group">
          <legend className="sr-only">Test seed records</legend>
          <label className="radio">
            <input type="radio" name="test-run-source" checked={source === "sample"} onChange={() => setSource("sample")} />
            Sample dataset
          </label>
          <label className="radio">
            <input type="radio" name="test-run-source" checked={source === "json"} onChange={() => setSource("json")} />
            Seed JSON
          </label>
        </fieldset>
        {source === "sample" ? (
          <div className="field-pair">
            <div className="field">
              <label htmlFor="test-run-sample">Sample dataset</label>
              <select id="test-run-sample" value={chosenSample} onChange={(event) => setSample(event.target.value)} disabled={datasets.isPending}>
                {names.length === 0 && <option value="">{datasets.isPending ? "Loading…" : "No sample datasets"}</option>}
                {names.map((name) => (
                  <option key={name} value={name}>
                    {name}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="test-run-count">Records</label>
              <select id="test-run-count" value={count} onChange={(event) => setCount(Number(event.target.value))}>
                {Array.from({ length: MAX_TEST_SEEDS }, (_, n) => n + 1).map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </div>
          </div>
        ) : (
          <div className="field">
            <label htmlFor="test-run-seeds">Seed records (a JSON object, an array, or JSON Lines; at most {MAX_TEST_SEEDS})</label>
            <textarea id="test-run-seeds" className="seed-input" spellCheck={false} value={seedText} onChange={(event) => setSeedText(event.target.value)} />
          </div>
        )}
        <div className="field">
          <label htmlFor="test-run-model">Model</label>
          <select id="test-run-model" value={model} onChange={(event) => setModel(event.target.value)}>
            {MODEL_CHOICES.map((choice) => (
              <option key={choice.value} value={choice.value}>
                {choice.label}
              </option>
            ))}
          </select>
        </div>
        <div className="form-actions">
          <button type="button" className="btn primary" onClick={start} disabled={run.isPending}>
            {run.isPending ? "Running…" : "Run test"}
          </button>
        </div>
      </div>
      {problem && <Alert kind="error">{problem}</Alert>}
      {run.error && (
        <Alert kind="error" title="The test run was refused" testId="test-run-error">
          {run.error.message}
        </Alert>
      )}
      {run.data && !run.isPending && <TestRunOutput result={run.data} />}
    </Panel>
  );
}

function TestRunOutput({ result }: { result: TestRunResult }) {
  const { totals } = result;
  return (
    <div className="test-run-result" data-testid="test-run-result">
      <p className="small" data-testid="test-run-summary">
        Answered by {answeredByLabel(result.answered_by)}. {totals.calls} calls · {totals.input_tokens} tokens in · {totals.output_tokens} tokens out ·{" "}
        {formatUsd(totals.cost_usd)}
        {totals.errors > 0 && <strong className="warning-text"> · {totals.errors} step failed</strong>}
      </p>
      {result.seeds.map((seed) => (
        <section key={seed.seed_index} className="test-run-seed" data-testid="test-run-seed">
          <h3>Seed record {seed.seed_index + 1}</h3>
          {seed.steps.map((step) => (
            <article key={step.step_id} className="test-run-step" data-testid="test-run-step" data-step={step.step_id}>
              <header className="test-run-step-header">
                <strong className="mono">{step.step_id}</strong>
                <span className="muted small">
                  {step.model_id} · {step.input_tokens} in · {step.output_tokens} out · {formatUsd(step.cost_usd)}
                </span>
              </header>
              {step.error ? (
                <Alert kind="error" testId="test-run-step-error">
                  {step.error}
                </Alert>
              ) : (
                <div className="test-run-io">
                  <div>
                    <div className="field-label">Prompt</div>
                    <pre className="preview-output" data-testid="test-run-prompt">
                      {step.prompt}
                    </pre>
                  </div>
                  <div>
                    <div className="field-label">Output</div>
                    <pre className="preview-output" data-testid="test-run-output">
                      {step.output}
                    </pre>
                  </div>
                </div>
              )}
            </article>
          ))}
        </section>
      ))}
    </div>
  );
}
