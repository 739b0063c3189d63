import type { ReactNode } from "react";

export type AlertKind = "info" | "success" | "warning" | "error";

export function Alert({ kind, title, children, testId }: { kind: AlertKind; title?: string; children?: ReactNode; testId?: string }) {
  return (
    <div className={`alert alert-${kind}`} role={kind === "error" ? "alert" : "status"} data-testid={testId}>
      {title && <strong className="alert-title">{title}</strong>}
      {children && <div className="alert-body">{children}</div>}
    </div>
  );
}
