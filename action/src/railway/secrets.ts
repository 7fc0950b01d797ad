// Every token and every Railway variable value is a secret. The client registers each one
// here as soon as it sees it, and every text that may reach a log or an error goes through
// redact() first. See docs/decisions/0041-secret-redaction.md.

/** Values shorter than this are too common to redact without destroying the message. */
export const MIN_REDACTED_LENGTH = 4;
export const REDACTED = "***";

export class SecretRegistry {
  readonly #values = new Set<string>();
  readonly #onSecret?: (value: string) => void;
  #ordered: string[] = [];

  constructor(onSecret?: (value: string) => void) {
    this.#onSecret = onSecret;
  }

  /** Registers a secret; also each of its lines, as a log line may carry only one of them. */
  add(value: string): void {
    if (value === "" || this.#values.has(value)) return;
    this.#values.add(value);
    this.#onSecret?.(value);
    const parts = [
      value,
      ...value.split(/\r?\n/),
      encodeURIComponent(value),
      JSON.stringify(value).slice(1, -1),
    ];
    let changed = false;
    for (const part of parts) {
      if (part.length >= MIN_REDACTED_LENGTH && !this.#ordered.includes(part)) {
        this.#ordered.push(part);
        changed = true;
      }
    }
    // Longest first, so a secret that contains another is replaced whole.
    if (changed) this.#ordered.sort((a, b) => b.length - a.length);
  }

  has(value: string): boolean {
    return this.#values.has(value);
  }

  redact(text: string): string {
    let out = text;
    for (const secret of this.#ordered) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }
}
