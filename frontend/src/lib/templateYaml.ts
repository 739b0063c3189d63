// Templates as YAML text: parse what the user wrote (with the line of a syntax error), print
// what the server stored.
import { dump, load, YAMLException } from "js-yaml";
import type { TemplateDocumentBody, TemplateStepDoc } from "../api/types";

export type ParsedTemplate =
  | { ok: true; document: TemplateDocumentBody }
  | { ok: false; message: string; line: number | null };

export function parseTemplateYaml(text: string): ParsedTemplate {
  let value: unknown;
  try {
    value = load(text);
  } catch (error) {
    if (error instanceof YAMLException) {
      const line = error.mark ? error.mark.line + 1 : null;
      return { ok: false, message: `YAML: ${error.reason}${line ? ` (line ${line})` : ""}`, line };
    }
    return { ok: false, message: `YAML: ${String(error)}`, line: null };
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return { ok: false, message: "A template is a mapping: name, description and a list of steps.", line: 1 };
  }
  return { ok: true, document: value as TemplateDocumentBody };
}

export function templateToYaml(document: TemplateDocumentBody): string {
  return dump(document, { lineWidth: -1, noRefs: true, sortKeys: false });
}

/** The steps of a parsed document that have an id and a prompt (for the preview). */
export function previewableSteps(document: TemplateDocumentBody): TemplateStepDoc[] {
  return (Array.isArray(document.steps) ? document.steps : []).filter(
    (step): step is TemplateStepDoc =>
      typeof step === "object" && step !== null && typeof step.id === "string" && typeof step.prompt === "string",
  );
}

export const STARTER_TEMPLATE = `# A template: steps run in order; each names a model or a tier.
# Prompts are Jinja2: {{ seed.field }} reads the seed record, {{ steps.<id>.output }} an earlier step.
name: My template
description: Questions and answers about a poem.
steps:
  - id: question
    model_tier: tier-1
    max_tokens: 150
    temperature: 0.9
    prompt: |
      Ask one precise question about "{{ poem.title }}" by {{ author.name }}.
  - id: answer
    model_tier: tier-2
    max_tokens: 400
    temperature: 0.4
    prompt: |
      Answer the question about "{{ poem.title }}" as a patient tutor.
      Question: {{ steps.question.output }}
`;

export const SAMPLE_SEED_RECORD = `{
  "author": {
    "name": "Emily Dickinson",
    "biography": "American poet (1830-1886) known for short lyric poems and slant rhyme."
  },
  "poem": {
    "title": "Hope is the thing with feathers",
    "text": "Hope is the thing with feathers\\nThat perches in the soul,"
  },
  "category": "lyric"
}`;
