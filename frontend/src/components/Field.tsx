import { cloneElement, isValidElement, type ReactElement, type ReactNode } from "react";

/** A labelled control with its hint and, beside it, its error (wired with aria-describedby). */
export function Field({ id, label, hint, error, children, optional = false }: { id: string; label: string; hint?: ReactNode; error?: string | null; children: ReactElement; optional?: boolean }) {
  const described = [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(" ") || undefined;
  const control = isValidElement(children)
    ? cloneElement(children as ReactElement<Record<string, unknown>>, {
        id,
        "aria-invalid": error ? true : undefined,
        "aria-describedby": described,
      })
    : children;
  return (
    <div className={`field${error ? " has-error" : ""}`}>
      <label htmlFor={id}>
        {label}
        {optional && <span className="optional"> – optional</span>}
      </label>
      <div className="field-row">
        {control}
        {error && (
          <span id={`${id}-error`} className="field-error" role="alert">
            {error}
          </span>
        )}
      </div>
      {hint && (
        <p id={`${id}-hint`} className="hint">
          {hint}
        </p>
      )}
    </div>
  );
}
