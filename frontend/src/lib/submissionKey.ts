// One Idempotency-Key per form submission. Submitting the same form again (after a lost answer,
// an error, or a double click) reuses the key, so the API queues it once and answers the same job;
// a changed form is a new submission with a new key (the API refuses a key reused for another body).
import { useRef } from "react";
import { newIdempotencyKey } from "../api/client";

/** A function giving the key of a submission body: the last key while the body is unchanged. */
export function submissionKeys(newKey: () => string = newIdempotencyKey): (body: unknown) => string {
  let last: { body: string; key: string } | null = null;
  return (body) => {
    const text = JSON.stringify(body);
    if (last === null || last.body !== text) last = { body: text, key: newKey() };
    return last.key;
  };
}

/** `submissionKeys` for as long as the form's page is open (a new visit is a new submission). */
export function useSubmissionKey(): (body: unknown) => string {
  const keys = useRef<((body: unknown) => string) | null>(null);
  if (keys.current === null) keys.current = submissionKeys();
  return keys.current;
}
