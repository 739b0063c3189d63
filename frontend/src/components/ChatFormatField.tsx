// The new-job and new-batch forms' chat format: none, or the format dataset.chat.jsonl is written in.
import type { ChatFormat } from "../api/types";
import { CHAT_FORMATS } from "../lib/jobFields";
import { Field } from "./Field";

export function ChatFormatField({ value, error, hint, onChange }: { value: ChatFormat | ""; error?: string; hint: string; onChange(value: ChatFormat | ""): void }) {
  return (
    <Field id="chat-format" label="Chat format" optional error={error} hint={hint}>
      <select value={value} onChange={(e) => onChange(e.target.value as ChatFormat | "")}>
        <option value="">None (raw records only)</option>
        {CHAT_FORMATS.map((format) => (
          <option key={format.value} value={format.value}>
            {format.label}
          </option>
        ))}
      </select>
    </Field>
  );
}
