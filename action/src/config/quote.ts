// User text quoted inside a finding's message. A config can hold keys and values of any
// size; a message must stay short enough to read, so long text is clipped with its length.

import { printable } from "../report/escape.ts";

const MAX_QUOTED = 60;

/** A value as a JSON string, clipped: "xxxx…" (4096 characters). */
export function quote(value: string): string {
  // JSON escapes C0 controls; printable() also the C1 and bidi controls JSON leaves as they are.
  if (value.length <= MAX_QUOTED) return printable(JSON.stringify(value));
  return `${printable(JSON.stringify(value.slice(0, MAX_QUOTED)))}… (${value.length} characters)`;
}

/** A key or name for a message, clipped the same way. */
export function clip(text: string): string {
  return printable(
    text.length <= MAX_QUOTED ? text : `${text.slice(0, MAX_QUOTED)}… (${text.length} characters)`,
  );
}

/** Whether a key is short enough to look for a near spelling (edit distance is quadratic). */
export function worthSuggesting(key: string): boolean {
  return key.length <= MAX_QUOTED;
}
