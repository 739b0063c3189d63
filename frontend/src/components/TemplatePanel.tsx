// The new-job and new-batch forms' "Template" panel: the template and its version, the caller's own templates, then the
// built-in ones; a template's versions newest first, the latest chosen once they arrive.
import { useEffect, useRef, type ReactNode } from "react";
import { useTemplates, useTemplateVersions } from "../api/hooks";
import type { JobFieldErrors, JobFieldValues } from "../lib/jobFields";
import { Alert } from "./Alert";
import { Field } from "./Field";
import { Panel } from "./Layout";

type Versions = ReturnType<typeof useTemplateVersions>;

/**
 * A template's versions; when they arrive and the chosen version is not among them, `chooseLatest`
 * is called with the latest (the form's default).
 */
export function useVersionsDefaultingToLatest(templateId: string, templateVersion: string, chooseLatest: (version: string) => void): Versions {
  const versions = useTemplateVersions(templateId || null);
  const choose = useRef(chooseLatest);
  choose.current = chooseLatest;
  useEffect(() => {
    const list = versions.data;
    if (!list || list.length === 0) return;
    if (!list.some((v) => String(v.version) === templateVersion)) choose.current(String(list[0]!.version));
  }, [versions.data, templateVersion]);
  return versions;
}

export interface TemplatePanelProps {
  values: Pick<JobFieldValues, "templateId" | "templateVersion">;
  errors: Pick<JobFieldErrors, "templateId" | "templateVersion">;
  /** The chosen template's versions (from useVersionsDefaultingToLatest). */
  versions: Versions;
  onTemplateChange(templateId: string): void;
  onVersionChange(version: string): void;
  versionHint?: string;
  /** More about the chosen template, below the pickers. */
  children?: ReactNode;
}

export function TemplatePanel({ values, errors, versions, onTemplateChange, onVersionChange, versionHint, children }: TemplatePanelProps) {
  const { templateId, templateVersion } = values;
  const templates = useTemplates();
  const own = (templates.data ?? []).filter((t) => t.owner !== "builtin");
  const builtin = (templates.data ?? []).filter((t) => t.owner === "builtin");
  return (
    <Panel title="Template">
      <div className="field-pair">
        <Field id="template" label="Template" error={errors.templateId}>
          <select value={templateId} onChange={(e) => onTemplateChange(e.target.value)} disabled={templates.isPending}>
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
        <Field id="template-version" label="Version" error={errors.templateVersion} hint={versionHint}>
          <select value={templateVersion} onChange={(e) => onVersionChange(e.target.value)} disabled={!templateId || versions.isPending}>
            {!templateId && <option value="">—</option>}
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
      {children}
    </Panel>
  );
}
