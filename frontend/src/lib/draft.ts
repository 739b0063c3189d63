// The template editor's unsaved text survives a page reload and an expired session: it is kept
// in localStorage per user until it is saved or discarded.

export interface TemplateDraft {
  /** The template being edited, or null for a new one. */
  templateId: string | null;
  text: string;
  updatedAt: string;
}

const PREFIX = "plot-palette:template-draft:";

function key(user: string): string {
  return PREFIX + user.toLowerCase();
}

export function saveDraft(user: string, draft: Omit<TemplateDraft, "updatedAt">, storage: Storage = localStorage): void {
  const value: TemplateDraft = { ...draft, updatedAt: new Date().toISOString() };
  try {
    storage.setItem(key(user), JSON.stringify(value));
  } catch {
    // storage full or disabled: the draft only lives in memory
  }
}

export function loadDraft(user: string, storage: Storage = localStorage): TemplateDraft | null {
  let raw: string | null;
  try {
    raw = storage.getItem(key(user));
  } catch {
    return null;
  }
  if (!raw) return null;
  try {
    const value = JSON.parse(raw) as Partial<TemplateDraft>;
    if (typeof value.text !== "string") return null;
    return {
      templateId: typeof value.templateId === "string" ? value.templateId : null,
      text: value.text,
      updatedAt: typeof value.updatedAt === "string" ? value.updatedAt : "",
    };
  } catch {
    return null;
  }
}

export function clearDraft(user: string, storage: Storage = localStorage): void {
  try {
    storage.removeItem(key(user));
  } catch {
    // nothing to clear
  }
}
