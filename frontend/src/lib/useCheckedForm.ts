// A create form's values and the errors beside its fields: none until the first attempt to
// submit, then following the values as they are corrected; a server refusal about one field is
// shown beside it.
import { useEffect, useState } from "react";

export function useCheckedForm<V extends object, F extends string>(initial: V | (() => V), validate: (values: V) => Partial<Record<F, string>>) {
  const [values, setValues] = useState<V>(initial);
  const [errors, setErrors] = useState<Partial<Record<F, string>>>({});
  const [submitted, setSubmitted] = useState(false);

  // After the first attempt to submit, the errors follow the values as they are corrected.
  useEffect(() => {
    if (submitted) setErrors(validate(values));
  }, [submitted, values, validate]);

  /** Sets one field. */
  function set<K extends keyof V>(key: K, value: V[K]) {
    setValues((current) => ({ ...current, [key]: value }));
  }

  /** Merges a change of several fields into the current values. */
  function update(change: Partial<V>) {
    setValues((current) => ({ ...current, ...change }));
  }

  /** An attempt to submit: shows the errors and says whether there are none. */
  function check(): boolean {
    setSubmitted(true);
    const found = validate(values);
    setErrors(found);
    return Object.keys(found).length === 0;
  }

  /** Shows a server message beside the field it is about (null: about none). */
  function showFieldError(found: { field: F; message: string } | null) {
    if (found) setErrors((current) => ({ ...current, [found.field]: found.message }));
  }

  return { values, setValues, set, update, errors, check, showFieldError };
}
