// A detail page (a job, a batch) before its item is there: its header, then "Loading …" or why
// the item could not be loaded.
import type { ReactNode } from "react";
import { Alert } from "./Alert";
import { PageHeader } from "./Layout";

export function LoadingOrError({ title, noun, breadcrumbs, pending, error }: { title: string; noun: string; breadcrumbs: ReactNode; pending: boolean; error: Error | null | undefined }) {
  return (
    <>
      <PageHeader title={title} breadcrumbs={breadcrumbs} />
      {pending ? (
        <p className="muted">{`Loading ${noun}…`}</p>
      ) : (
        <Alert kind="error" title={`This ${noun} could not be loaded`}>
          {error?.message ?? "Unknown error"}
        </Alert>
      )}
    </>
  );
}
