// The new-job page's "Generate seed data": a model writes seed records with the fields the chosen
// template reads; the file is saved under the user's seed data, previewed, and selected for the job.
import { useMutation } from "@tanstack/react-query";
import { useState } from "react";
import { generateSeedData, MAX_GENERATED_SEEDS, type GeneratedSeedData, type SeedGenerationRequest } from "../api/seedGeneration";
import { answeredByLabel, MODEL_CHOICES } from "../api/testRuns";
import { useApi } from "../auth/AuthContext";
import { formatUsd } from "../lib/format";
import { Alert } from "./Alert";

// "Each step's own model" means nothing for one generation call.
const SEED_MODELS = MODEL_CHOICES.filter((choice) => choice.value !== "template").map((choice) => ({
  ...choice,
  label: choice.label.replace(" for every step", ""),
}));

export interface GenerateSeedsProps {
  templateId: string;
  templateVersion: string;
  /** Called with the generated file's key, to use as the job's seed data. */
  onGenerated(key: string): void;
}

export function GenerateSeeds({ templateId, templateVersion, onGenerated }: GenerateSeedsProps) {
  const api = useApi();
  const [open, setOpen] = useState(false);
  const [count, setCount] = useState("20");
  const [model, setModel] = useState("local");
  const [instructions, setInstructions] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const generate = useMutation({
    mutationFn: (request: SeedGenerationRequest) => generateSeedData(api, request),
    onSuccess: (made) => onGenerated(made.key),
  });

  function start() {
    setProblem(null);
    const wanted = Number(count);
    if (!Number.isInteger(wanted) || wanted < 1 || wanted > MAX_GENERATED_SEEDS) {
      setProblem(`Generate 1 to ${MAX_GENERATED_SEEDS} records.`);
      return;
    }
    const request: SeedGenerationRequest = { template_id: templateId, count: wanted, model };
    if (templateVersion) request.version = Number(templateVersion);
    if (instructions.trim()) request.instructions = instructions.trim();
    generate.mutate(request);
  }

  return (
    <div className="generate-seeds" data-testid="generate-seeds">
      <button type="button" className="btn" aria-expanded={open} onClick={() => setOpen((value) => !value)}>
        Generate seed data
      </button>
      {open &&
        (!templateId ? (
          <p className="hint">Choose a template below first: the records get the fields it reads.</p>
        ) : (
          <div className="generate-seeds-form">
            <div className="field-pair">
              <div className="field">
                <label htmlFor="generate-count">Records to generate</label>
                <input
                  id="generate-count"
                  type="number"
                  min={1}
                  max={MAX_GENERATED_SEEDS}
                  step={1}
                  inputMode="numeric"
                  value={count}
                  onChange={(event) => setCount(event.target.value)}
                />
              </div>
              <div className="field">
                <label htmlFor="generate-model">Model</label>
                <select id="generate-model" value={model} onChange={(event) => setModel(event.target.value)}>
                  {SEED_MODELS.map((choice) => (
                    <option key={choice.value} value={choice.value}>
                      {choice.label}
                    </option>
                  ))}
                </select>
              </div>
            </div>
            <div className="field">
              <label htmlFor="generate-instructions">
                Instructions<span className="optional"> – optional</span>
              </label>
              <textarea
                id="generate-instructions"
                maxLength={2000}
                value={instructions}
                placeholder="e.g. poems by 19th-century women poets"
                onChange={(event) => setInstructions(event.target.value)}
              />
            </div>
            <div className="form-actions">
              <button type="button" className="btn primary" onClick={start} disabled={generate.isPending}>
                {generate.isPending ? "Generating…" : "Generate"}
              </button>
            </div>
            {problem && <Alert kind="error">{problem}</Alert>}
            {generate.error && (
              <Alert kind="error" title="No seed data was generated">
                {generate.error.message}
              </Alert>
            )}
            {generate.data && !generate.isPending && <GeneratedPreview made={generate.data} />}
          </div>
        ))}
    </div>
  );
}

function GeneratedPreview({ made }: { made: GeneratedSeedData }) {
  return (
    <div className="generated-seeds" data-testid="generated-seeds">
      <Alert kind="success" title="Seed data generated and selected for this job">
        {made.records} of {made.requested} records with {made.fields.join(", ")}
        {made.dropped > 0 && ` (${made.dropped} invalid records dropped)`}, by {answeredByLabel(made.answered_by)}, {formatUsd(made.cost_usd)}.{" "}
        <a href={made.download_url}>Download the JSONL</a>
        <div className="mono small" data-testid="generated-seed-key">
          {made.key}
        </div>
      </Alert>
      <div className="field-label">Preview (first {made.preview.length})</div>
      <pre className="preview-output" data-testid="generated-preview">
        {made.preview.map((record) => JSON.stringify(record)).join("\n")}
      </pre>
    </div>
  );
}
