// A client-side stand-in for rendering a step: `{{ a.b }}` becomes the seed record's value at
// a.b. Filters are ignored and `{% … %}` blocks are left as written; the server renders with
// Jinja2, so this is a preview of where the seed data lands, not of the exact prompt.

export interface PreviewResult {
  text: string;
  /** Seed paths the record lacks. */
  missing: string[];
  /** Expressions this preview cannot evaluate (left as written). */
  unsupported: string[];
}

const EXPRESSION = /\{\{\s*([\s\S]*?)\s*\}\}/g;

/** Jinja's whitespace control: "{{-" and "-}}" strip the whitespace on their side. */
function applyWhitespaceControl(prompt: string): string {
  return prompt.replace(/\s*\{\{-/g, "{{").replace(/-\}\}\s*/g, "}}");
}

const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+|\[\s*(?:\d+|'[^']*'|"[^"]*")\s*\])*$/;

function pathParts(path: string): string[] {
  const parts: string[] = [];
  const token = /([A-Za-z0-9_]+)|\[\s*(\d+|'[^']*'|"[^"]*")\s*\]/g;
  let match: RegExpExecArray | null;
  while ((match = token.exec(path)) !== null) {
    const bracket = match[2];
    parts.push(bracket !== undefined ? bracket.replace(/^['"]|['"]$/g, "") : match[1]!);
  }
  return parts;
}

/** The value at a dotted path, or undefined when any part is missing. */
export function lookup(record: unknown, path: string): unknown {
  let current: unknown = record;
  for (const part of pathParts(path)) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function show(value: unknown): string {
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/**
 * Substitutes each `{{ path | filters }}` in `prompt` from `seed`. `steps.<id>.output` is shown
 * as a placeholder (it exists only when the job runs), unless `stepOutputs` gives it.
 */
export function renderPreview(
  prompt: string,
  seed: unknown,
  stepOutputs: Record<string, string> = {},
): PreviewResult {
  const missing: string[] = [];
  const unsupported: string[] = [];
  const text = applyWhitespaceControl(prompt).replace(EXPRESSION, (whole: string, inner: string) => {
    const head = inner.split("|")[0]!.trim();
    if (!PATH.test(head)) {
      unsupported.push(inner.trim());
      return whole;
    }
    const step = /^steps\.([A-Za-z0-9_]+)\.output$/.exec(head);
    if (step) return stepOutputs[step[1]!] ?? `[output of step ${step[1]!}]`;
    const value = lookup(seed, head);
    if (value === undefined || value === null) {
      if (!missing.includes(head)) missing.push(head);
      return `[missing: ${head}]`;
    }
    return show(value);
  });
  return { text, missing, unsupported };
}
