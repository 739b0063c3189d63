// The foot of a create form: why the last submission was refused, then Cancel and the submit button.
import { Link } from "react-router-dom";
import { Alert } from "./Alert";

export interface FormActionsProps {
  /** The submission (a mutation): while it is under way the button says `busyLabel` and is
   * disabled; its error is said above the buttons. */
  submission: { isPending: boolean; error: Error | null };
  errorTitle: string;
  errorTestId: string;
  /** Where Cancel goes. */
  cancelTo: string;
  /** The button is disabled for another reason (an upload still running). */
  disabled?: boolean;
  label: string;
  busyLabel: string;
}

export function FormActions({ submission, errorTitle, errorTestId, cancelTo, disabled = false, label, busyLabel }: FormActionsProps) {
  const { isPending: busy, error } = submission;
  return (
    <>
      {error && (
        <Alert kind="error" title={errorTitle} testId={errorTestId}>
          {error.message}
        </Alert>
      )}
      <div className="form-actions">
        <Link to={cancelTo} className="btn">
          Cancel
        </Link>
        <button type="submit" className="btn primary" disabled={busy || disabled}>
          {busy ? busyLabel : label}
        </button>
      </div>
    </>
  );
}
