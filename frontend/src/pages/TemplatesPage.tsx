// `/templates`: your templates and the built-in ones; a YAML editor to create a template or save
// a new version, with the server's validation errors marked on their line, a simple preview of a
// step against a seed record, and the version history with diffs and restore. YAML files import
// and export; a version can be published to the public gallery. Unsaved text is kept as a draft.
// `?template=ID` opens a template (the gallery sends a fresh fork here).
import { useQueryClient } from "@tanstack/react-query";
import { lazy, Suspense, useEffect, useMemo, useState } from "react";
import { Link, useSearchParams } from "react-router-dom";
import { queryKeys, refreshAfterWrite, useTemplate, useTemplates, useTemplateVersions } from "../api/hooks";
import { diffLineKind, downloadText, templateKeys, templatesApi, useTemplateDiff } from "../api/templates";
import type { Template } from "../api/types";
import { useApi, useUser } from "../auth/AuthContext";
import { Alert } from "../components/Alert";
import { PageHeader, Panel } from "../components/Layout";
import type { EditorMark } from "../components/TemplateCodeEditor";
import { TemplateTestRun } from "../components/TemplateTestRun";
import { clearDraft, loadDraft, saveDraft, type TemplateDraft } from "../lib/draft";
import { formatDateTime } from "../lib/format";
import { renderPreview } from "../lib/preview";
import { locateError } from "../lib/templateErrors";
import { parseTemplateYaml, previewableSteps, SAMPLE_SEED_RECORD, STARTER_TEMPLATE, templateToYaml } from "../lib/templateYaml";

const TemplateCodeEditor = lazy(() => import("../components/TemplateCodeEditor"));

interface Selection {
  /** Changes on every pick from the list, so the workspace starts afresh. */
  nonce: number;
  templateId: string | null;
  draft: TemplateDraft | null;
  /** Text to start a new template from (a copy of a built-in one). */
  startText?: string;
}

export default function TemplatesPage() {
  const user = useUser();
  const templates = useTemplates();
  const [searchParams] = useSearchParams();
  const [importing, setImporting] = useState(false);
  const [selection, setSelection] = useState<Selection | null>(() => {
    const opened = searchParams.get("template");
    if (opened) return { nonce: 0, templateId: opened, draft: null };
    const draft = loadDraft(user.email);
    return draft ? { nonce: 0, templateId: draft.templateId, draft } : null;
  });
  const pick = (templateId: string | null, startText?: string) =>
    setSelection((current) => ({ nonce: (current?.nonce ?? 0) + 1, templateId, draft: null, ...(startText ? { startText } : {}) }));

  return (
    <>
      <PageHeader
        title="Templates"
        description="Multi-step prompt templates (Jinja2 in YAML). Cheap models for simple steps, premium ones for reasoning. Saving validates the template; every save is a new version."
        actions={
          <>
            <button type="button" className="btn" aria-expanded={importing} onClick={() => setImporting((open) => !open)}>
              Import YAML
            </button>
            <button type="button" className="btn primary" onClick={() => pick(null)}>
              New template
            </button>
          </>
        }
      />
      {importing && (
        <ImportPanel
          onClose={() => setImporting(false)}
          onImported={(templateId) => {
            setImporting(false);
            pick(templateId);
          }}
        />
      )}
      <div className="split">
        <Panel title={`Templates (${templates.data?.length ?? 0})`} className="split-list">
          {templates.error && <Alert kind="error">{templates.error.message}</Alert>}
          {templates.isPending ? (
            <p className="muted">Loading templates…</p>
          ) : (
            <table className="table compact selectable">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Owner</th>
                  <th scope="col" className="num">
                    Latest
                  </th>
                </tr>
              </thead>
              <tbody>
                {(templates.data ?? []).map((t) => (
                  <tr key={t.template_id} className={selection?.templateId === t.template_id ? "selected" : undefined}>
                    <td>
                      <button type="button" className="btn-link strong-link" onClick={() => pick(t.template_id)}>
                        {t.name}
                      </button>
                      <div className="mono muted small">{t.template_id}</div>
                    </td>
                    <td>
                      <span className={`badge ${t.owner === "builtin" ? "badge-stopped" : "badge-info"}`}>
                        {t.owner === "builtin" ? "built-in" : "yours"}
                      </span>
                    </td>
                    <td className="num">v{t.latest_version}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Panel>
        <div className="split-main">
          {selection ? (
            <TemplateWorkspace
              key={selection.nonce}
              initialTemplateId={selection.templateId}
              draft={selection.draft}
              startText={selection.startText}
              onCopy={(text) => pick(null, text)}
            />
          ) : (
            <Panel>
              <div className="empty">
                <p>Pick a template to view or edit it, or choose New template to write one.</p>
              </div>
            </Panel>
          )}
        </div>
      </div>
    </>
  );
}

interface WorkspaceProps {
  initialTemplateId: string | null;
  draft: TemplateDraft | null;
  startText?: string;
  onCopy(text: string): void;
}

function TemplateWorkspace({ initialTemplateId, draft, startText, onCopy }: WorkspaceProps) {
  const api = useApi();
  const user = useUser();
  const queryClient = useQueryClient();
  const [templateId, setTemplateId] = useState<string | null>(initialTemplateId);
  const [viewing, setViewing] = useState<number | null>(null);
  const [awaitingLoad, setAwaitingLoad] = useState(initialTemplateId !== null && draft === null);
  const [text, setText] = useState(draft?.text ?? startText ?? (initialTemplateId ? "" : STARTER_TEMPLATE));
  const [meta, setMeta] = useState<Template | null>(null);
  const [restored, setRestored] = useState(draft !== null);
  const [plain, setPlain] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [mark, setMark] = useState<EditorMark | null>(null);
  const [saving, setSaving] = useState(false);
  const [savedNotice, setSavedNotice] = useState<string | null>(null);
  const [publishing, setPublishing] = useState(false);
  const [comparing, setComparing] = useState<{ from: number; to: number } | null>(null);
  const [restoring, setRestoring] = useState<number | null>(null);

  const loaded = useTemplate(templateId, viewing);
  const versions = useTemplateVersions(templateId);

  useEffect(() => {
    if (!loaded.data) return;
    setMeta(loaded.data);
    if (awaitingLoad) {
      setText(templateToYaml(loaded.data.document));
      setAwaitingLoad(false);
    }
  }, [loaded.data, awaitingLoad]);

  const readOnly = meta?.owner === "builtin";
  const isNew = templateId === null;

  function edit(next: string) {
    setText(next);
    setSavedNotice(null);
    if (!readOnly) saveDraft(user.email, { templateId, text: next });
  }

  function showVersion(version: number) {
    setViewing(version);
    setAwaitingLoad(true);
    setError(null);
    setMark(null);
    setSavedNotice(null);
    clearDraft(user.email);
    setRestored(false);
  }

  function discardDraft() {
    clearDraft(user.email);
    setRestored(false);
    setError(null);
    setMark(null);
    if (templateId) {
      setAwaitingLoad(true);
      void loaded.refetch();
    } else {
      setText(STARTER_TEMPLATE);
    }
  }

  async function exportYaml(template: Template) {
    setError(null);
    try {
      const exported = await templatesApi.exportYaml(api, template.template_id, template.version);
      downloadText(`${template.template_id}-v${exported.version}.yaml`, exported.yaml);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    }
  }

  async function restore(version: number) {
    if (!templateId) return;
    setRestoring(version);
    setError(null);
    setSavedNotice(null);
    try {
      const saved = await templatesApi.restore(api, templateId, version);
      clearDraft(user.email);
      setRestored(false);
      setViewing(null);
      setMeta(saved);
      setText(templateToYaml(saved.document));
      setComparing(null);
      queryClient.setQueryData(queryKeys.template(saved.template_id, null), saved);
      queryClient.setQueryData(queryKeys.template(saved.template_id, saved.version), saved);
      void refreshAfterWrite(queryClient, queryKeys.templates);
      void refreshAfterWrite(queryClient, queryKeys.versions(saved.template_id));
      setSavedNotice(`Restored version ${version} as version ${saved.version}.`);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setRestoring(null);
    }
  }

  async function save() {
    setError(null);
    setMark(null);
    setSavedNotice(null);
    const parsed = parseTemplateYaml(text);
    if (!parsed.ok) {
      setError(parsed.message);
      if (parsed.line) setMark({ line: parsed.line, message: parsed.message });
      return;
    }
    setSaving(true);
    try {
      const saved = templateId ? await api.saveTemplateVersion(templateId, parsed.document) : await api.createTemplate(parsed.document);
      clearDraft(user.email);
      setRestored(false);
      setTemplateId(saved.template_id);
      setViewing(null);
      setMeta(saved);
      queryClient.setQueryData(queryKeys.template(saved.template_id, null), saved);
      queryClient.setQueryData(queryKeys.template(saved.template_id, saved.version), saved);
      void refreshAfterWrite(queryClient, queryKeys.templates);
      void refreshAfterWrite(queryClient, queryKeys.versions(saved.template_id));
      setSavedNotice(isNew ? `Saved as a new template, version ${saved.version}.` : `Saved version ${saved.version}.`);
    } catch (caught) {
      const message = caught instanceof Error ? caught.message : String(caught);
      setError(message);
      const where = locateError(message, text);
      if (where) setMark({ line: where.line, message });
    } finally {
      setSaving(false);
    }
  }

  const title = meta ? String(meta.document.name ?? meta.template_id) : isNew ? "New template" : "Template";
  const viewingOld = meta !== null && meta.version < meta.latest_version;

  return (
    <>
      <Panel
        title={title}
        actions={
          <>
            {meta && (
              <span className="meta small">
                ID <code data-testid="template-id">{meta.template_id}</code> · version{" "}
                <code data-testid="template-version">{meta.version}</code>
                {meta.latest_version !== meta.version && <span className="muted"> (latest {meta.latest_version})</span>}
              </span>
            )}
            {meta && (
              <Link className="btn" to={`/jobs/new?template=${encodeURIComponent(meta.template_id)}`}>
                Use in a job
              </Link>
            )}
            {meta && (
              <button type="button" className="btn" onClick={() => void exportYaml(meta)}>
                Export YAML
              </button>
            )}
            {meta && !readOnly && (
              <button type="button" className="btn" aria-expanded={publishing} onClick={() => setPublishing((open) => !open)}>
                Publish
              </button>
            )}
          </>
        }
      >
        {publishing && meta && <PublishForm template={meta} onClose={() => setPublishing(false)} />}
        {restored && (
          <Alert kind="info" title="Unsaved draft restored">
            Your unsaved changes{draft?.updatedAt ? ` from ${formatDateTime(draft.updatedAt)}` : ""} are back in the editor.{" "}
            <button type="button" className="btn-link" onClick={discardDraft}>
              Discard draft
            </button>
          </Alert>
        )}
        {readOnly && (
          <Alert kind="info" title="Built-in templates are read-only">
            Copy it to a template of your own to change it.{" "}
            <button type="button" className="btn-link" onClick={() => onCopy(text)}>
              Copy to a new template
            </button>
          </Alert>
        )}
        {viewingOld && !readOnly && (
          <Alert kind="info">
            You are viewing version {meta.version}. Saving it makes it version {meta.latest_version + 1}.
          </Alert>
        )}
        {loaded.error && <Alert kind="error">{loaded.error.message}</Alert>}
        {savedNotice && <Alert kind="success">{savedNotice}</Alert>}
        {error && (
          <div className="alert alert-error" role="alert" data-testid="template-error">
            <strong className="alert-title">The template was not saved</strong>
            <div className="alert-body">
              {error}
              {mark && <div className="small">Marked in the editor at line {mark.line}.</div>}
            </div>
          </div>
        )}

        <div className="editor-toolbar">
          <span className="muted small">YAML · {readOnly ? "read-only" : "editable"}</span>
          <span className="topbar-spacer" />
          <button type="button" className="btn small" aria-pressed={plain} onClick={() => setPlain((p) => !p)}>
            Edit as plain text
          </button>
        </div>
        <div data-testid="template-editor" className="editor-frame">
          {awaitingLoad ? (
            <p className="muted editor-loading">Loading template…</p>
          ) : plain ? (
            <textarea
              aria-label="Template YAML"
              className="plain-editor"
              value={text}
              readOnly={readOnly}
              spellCheck={false}
              onChange={(event) => edit(event.target.value)}
            />
          ) : (
            <Suspense fallback={<p className="muted editor-loading">Loading editor…</p>}>
              <TemplateCodeEditor value={text} onChange={edit} readOnly={readOnly} mark={mark} />
            </Suspense>
          )}
        </div>
        <div className="form-actions">
          <button type="button" className="btn primary" onClick={() => void save()} disabled={readOnly || saving || awaitingLoad}>
            {saving ? "Saving…" : "Save template"}
          </button>
        </div>
      </Panel>

      <div className="columns">
        <PreviewPanel text={text} />
        {templateId && (
          <Panel title="Version history" className="versions">
            {versions.error && <Alert kind="error">{versions.error.message}</Alert>}
            {versions.isPending ? (
              <p className="muted">Loading versions…</p>
            ) : (
              <ul className="version-list">
                {(versions.data ?? []).map((v) => (
                  <li key={v.version}>
                    <button
                      type="button"
                      className={`version-item${meta?.version === v.version ? " current" : ""}`}
                      aria-current={meta?.version === v.version ? "true" : undefined}
                      onClick={() => showVersion(v.version)}
                    >
                      <span className="version-number">v{v.version}</span>
                      <span className="version-name">{v.name}</span>
                      <span className="muted small">{formatDateTime(v.created_at)}</span>
                    </button>
                    {!readOnly && meta && v.version < meta.latest_version && (
                      <span className="version-actions">
                        <button
                          type="button"
                          className="btn small"
                          aria-label={`Compare version ${v.version} with version ${meta.latest_version}`}
                          onClick={() => setComparing({ from: v.version, to: meta.latest_version })}
                        >
                          Diff
                        </button>
                        <button
                          type="button"
                          className="btn small"
                          aria-label={`Restore version ${v.version}`}
                          disabled={restoring !== null}
                          onClick={() => void restore(v.version)}
                        >
                          {restoring === v.version ? "Restoring…" : "Restore"}
                        </button>
                      </span>
                    )}
                  </li>
                ))}
              </ul>
            )}
          </Panel>
        )}
      </div>
      {templateId && comparing && (
        <DiffPanel templateId={templateId} from={comparing.from} to={comparing.to} onClose={() => setComparing(null)} />
      )}
      <TemplateTestRun text={text} />
    </>
  );
}

function PreviewPanel({ text }: { text: string }) {
  const parsed = useMemo(() => parseTemplateYaml(text), [text]);
  const steps = parsed.ok ? previewableSteps(parsed.document) : [];
  const [stepId, setStepId] = useState("");
  const [seedText, setSeedText] = useState(SAMPLE_SEED_RECORD);
  const step = steps.find((s) => s.id === stepId) ?? steps[0];

  let seed: unknown = null;
  let seedError: string | null = null;
  try {
    seed = JSON.parse(seedText);
  } catch (error) {
    seedError = `The seed record is not valid JSON: ${error instanceof Error ? error.message : String(error)}`;
  }
  const result = step && !seedError ? renderPreview(step.prompt, seed) : null;

  return (
    <Panel title="Preview (simple substitution; the server renders with Jinja2)" className="grow preview">
      {!parsed.ok ? (
        <p className="muted">Fix the YAML to preview a step.</p>
      ) : steps.length === 0 ? (
        <p className="muted">Add a step with an id and a prompt to preview it.</p>
      ) : (
        <div className="preview-grid">
          <div>
            <div className="field">
              <label htmlFor="preview-step">Step</label>
              <select id="preview-step" value={step?.id ?? ""} onChange={(event) => setStepId(event.target.value)}>
                {steps.map((s) => (
                  <option key={s.id} value={s.id}>
                    {s.id} · {s.model ?? s.model_tier ?? "no model"}
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="preview-seed">Seed record (JSON)</label>
              <textarea id="preview-seed" className="seed-input" spellCheck={false} value={seedText} onChange={(event) => setSeedText(event.target.value)} />
            </div>
          </div>
          <div>
            <div className="field-label">Rendered prompt</div>
            {seedError ? (
              <Alert kind="error">{seedError}</Alert>
            ) : (
              result && (
                <>
                  <pre className="preview-output" data-testid="template-preview">
                    {result.text}
                  </pre>
                  {result.missing.length > 0 && (
                    <p className="small warning-text">The seed record lacks {result.missing.join(", ")}.</p>
                  )}
                  <p className="hint">Filters (such as truncate_tokens) and {"{% %}"} blocks are not applied here.</p>
                </>
              )
            )}
          </div>
        </div>
      )}
    </Panel>
  );
}

function DiffPanel({ templateId, from, to, onClose }: { templateId: string; from: number; to: number; onClose(): void }) {
  const diff = useTemplateDiff(templateId, from, to);
  return (
    <Panel
      title={`Changes from version ${from} to version ${to}`}
      actions={
        <button type="button" className="btn small" onClick={onClose}>
          Close diff
        </button>
      }
    >
      {diff.error && <Alert kind="error">{diff.error.message}</Alert>}
      {diff.isPending ? (
        <p className="muted">Loading the diff…</p>
      ) : diff.data && diff.data.diff === "" ? (
        <p className="muted">The two versions are the same.</p>
      ) : (
        <pre className="diff-view" data-testid="template-diff">
          {(diff.data?.diff ?? "").split("\n").map((line, index) => (
            <span key={index} className={`diff-line diff-${diffLineKind(line)}`}>
              {line}
              {"\n"}
            </span>
          ))}
        </pre>
      )}
    </Panel>
  );
}

function ImportPanel({ onClose, onImported }: { onClose(): void; onImported(templateId: string): void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [yaml, setYaml] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function readFile(file: File | undefined) {
    if (file) setYaml(await file.text());
  }

  async function submit() {
    setBusy(true);
    setError(null);
    try {
      const saved = await templatesApi.importYaml(api, yaml);
      void refreshAfterWrite(queryClient, queryKeys.templates);
      onImported(saved.template_id);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Panel title="Import a template from YAML">
      {error && (
        <Alert kind="error" title="Nothing was imported" testId="import-error">
          {error}
        </Alert>
      )}
      <div className="field">
        <label htmlFor="import-file">YAML file</label>
        <input id="import-file" type="file" accept=".yaml,.yml,application/yaml,text/yaml" onChange={(event) => void readFile(event.target.files?.[0])} />
      </div>
      <div className="field">
        <label htmlFor="import-yaml">or paste the YAML</label>
        <textarea id="import-yaml" className="plain-editor" spellCheck={false} value={yaml} onChange={(event) => setYaml(event.target.value)} />
      </div>
      <div className="form-actions">
        <button type="button" className="btn primary" disabled={busy || yaml.trim() === ""} onClick={() => void submit()}>
          {busy ? "Importing…" : "Import as a new template"}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </Panel>
  );
}

function PublishForm({ template, onClose }: { template: Template; onClose(): void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [description, setDescription] = useState(String(template.document.description ?? ""));
  const [tags, setTags] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [published, setPublished] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function publish() {
    setBusy(true);
    setError(null);
    try {
      const entry = await templatesApi.publish(api, template.template_id, {
        version: template.version,
        description: description.trim(),
        tags: tags
          .split(",")
          .map((tag) => tag.trim())
          .filter(Boolean),
        ...(displayName.trim() ? { display_name: displayName.trim() } : {}),
      });
      void refreshAfterWrite(queryClient, templateKeys.galleryAll);
      setPublished(entry.gallery_id);
    } catch (caught) {
      setError(caught instanceof Error ? caught.message : String(caught));
    } finally {
      setBusy(false);
    }
  }

  if (published) {
    return (
      <Alert kind="success" title="Published" testId="published">
        Version {template.version} is in the <Link to="/gallery">gallery</Link> as <code>{published}</code>. Later edits
        here do not change it.{" "}
        <button type="button" className="btn-link" onClick={onClose}>
          Close
        </button>
      </Alert>
    );
  }
  return (
    <div className="publish-form" role="group" aria-label="Publish to the gallery">
      <p className="small">
        Publishes a copy of version {template.version} (includes written out) for every user to search and fork. Your
        email and account are never shown; seed data is never published.
      </p>
      {error && <Alert kind="error">{error}</Alert>}
      <div className="field">
        <label htmlFor="publish-description">Description</label>
        <textarea id="publish-description" maxLength={2000} value={description} onChange={(event) => setDescription(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="publish-tags">Tags (comma-separated)</label>
        <input id="publish-tags" value={tags} onChange={(event) => setTags(event.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="publish-author">Shown as author (optional)</label>
        <input id="publish-author" maxLength={60} value={displayName} onChange={(event) => setDisplayName(event.target.value)} />
      </div>
      <div className="form-actions">
        <button type="button" className="btn primary" disabled={busy || description.trim() === ""} onClick={() => void publish()}>
          {busy ? "Publishing…" : `Publish version ${template.version}`}
        </button>
        <button type="button" className="btn" onClick={onClose}>
          Cancel
        </button>
      </div>
    </div>
  );
}
