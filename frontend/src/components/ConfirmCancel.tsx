// "Cancel this job/batch?": what cancelling does, then Keep running or Yes, cancel.
import type { ReactNode } from "react";

export interface ConfirmCancelProps {
  /** The heading's id, which labels the dialog. */
  titleId: string;
  title: string;
  /** What cancelling does. */
  children: ReactNode;
  /** The cancellation is under way. */
  pending: boolean;
  onKeep(): void;
  onConfirm(): void;
}

export function ConfirmCancel({ titleId, title, children, pending, onKeep, onConfirm }: ConfirmCancelProps) {
  return (
    <div className="confirm" role="alertdialog" aria-labelledby={titleId}>
      <div>
        <strong id={titleId}>{title}</strong>
        <p className="muted">{children}</p>
      </div>
      <div className="confirm-actions">
        <button type="button" className="btn" onClick={onKeep} disabled={pending}>
          Keep running
        </button>
        <button type="button" className="btn danger" onClick={onConfirm} disabled={pending}>
          {pending ? "Cancelling…" : "Yes, cancel"}
        </button>
      </div>
    </div>
  );
}
