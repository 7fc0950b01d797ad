// Every token and every Railway variable value is a secret. The client registers each one
// here as soon as it sees it, and every text that may reach a log or an error goes through
// redact() (one message) or redactLines() (a log tail) first.
// See docs/decisions/0041-secret-redaction.md and 0125-secret-forms-and-withheld-lines.md.

/** Values shorter than this are too common to replace without destroying the message. */
export const MIN_REDACTED_LENGTH = 4;
export const REDACTED = "***";
/** What replaces log lines that may hold a value too short or too common to mask. */
export const WITHHELD = (count: number) =>
  `[${count} log line${count === 1 ? "" : "s"} withheld: ${count === 1 ? "it holds" : "they hold"} a variable value too short or too common to mask]`;

/**
 * Values that are words of every log (and of Railyard's own messages) or small numbers: masking
 * them would turn "deploy" or "true" into "***" everywhere, and the runner would do the same in
 * the whole job log. They are never handed to the runner; log lines holding them are withheld.
 */
const COMMON_VALUES = new Set(
  [
    "true",
    "false",
    "yes",
    "no",
    "on",
    "off",
    "null",
    "none",
    "nil",
    "undefined",
    "enabled",
    "disabled",
    "deploy",
    "deployed",
    "build",
    "start",
    "production",
    "staging",
    "development",
    "preview",
    "test",
    "main",
    "master",
    "latest",
    "default",
    "debug",
    "info",
    "warn",
    "warning",
    "error",
    "local",
    "localhost",
    "http",
    "https",
    "admin",
    "user",
    "root",
    "api",
    "web",
    "app",
    "server",
    "worker",
    "node",
    "prod",
    "dev",
  ].map((w) => w.toLowerCase()),
);

/** True when a value cannot be masked without masking ordinary text. */
export function tooCommonToMask(value: string): boolean {
  const v = value.trim();
  return v.length < MIN_REDACTED_LENGTH || /^\d{1,5}$/.test(v) || COMMON_VALUES.has(v.toLowerCase());
}

/**
 * The parts of a value that are secrets on their own: each line, the password and userinfo of a
 * URL-shaped value (and of every URL inside it), the string leaves of a JSON value.
 */
export function secretPieces(value: string): string[] {
  const pieces = new Set<string>([value]);
  const queue = [value];
  // Iterative: a JSON value nests without bound.
  for (let i = 0; i < queue.length && i < 10_000; i++) {
    const piece = queue[i] as string;
    const push = (p: string | undefined) => {
      if (p && !pieces.has(p)) {
        pieces.add(p);
        queue.push(p);
      }
    };
    if (/[\r\n]/.test(piece)) for (const line of piece.split(/\r\n|\r|\n/)) push(line.trim());
    for (const match of piece.matchAll(/[a-z][a-z0-9+.-]*:\/\/([^/\s@]*)@/gi)) {
      const userinfo = match[1] as string;
      push(userinfo);
      push(safeDecode(userinfo));
      const colon = userinfo.indexOf(":");
      if (colon !== -1) {
        const password = userinfo.slice(colon + 1);
        push(password);
        push(safeDecode(password));
      }
    }
    if (/^\s*[[{"]/.test(piece)) {
      try {
        const stack: unknown[] = [JSON.parse(piece)];
        while (stack.length > 0) {
          const node = stack.pop();
          if (typeof node === "string") push(node);
          else if (node && typeof node === "object") for (const item of Object.values(node)) stack.push(item);
        }
      } catch {
        // not JSON
      }
    }
  }
  return [...pieces];
}

function safeDecode(text: string): string | undefined {
  try {
    const decoded = decodeURIComponent(text);
    return decoded === text ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/** Base64 of `piece` as it appears inside a longer encoded text, at each of the 3 byte alignments. */
function base64Forms(piece: string): string[] {
  const bytes = Buffer.from(piece);
  const out: string[] = [];
  for (const shift of [0, 1, 2]) {
    const buffer = Buffer.concat([Buffer.alloc(shift), bytes]);
    const full = buffer.toString("base64");
    // Characters that depend only on the piece: skip the group holding the prefix bytes and the
    // last group when it also holds bytes that follow.
    const start = shift === 0 ? 0 : 4;
    const end = Math.floor(buffer.length / 3) * 4;
    const core = full.slice(start, end);
    out.push(core, core.replace(/\+/g, "-").replace(/\//g, "_"));
    if (shift === 0) {
      const unpadded = full.replace(/=+$/, "");
      out.push(unpadded, unpadded.replace(/\+/g, "-").replace(/\//g, "_"));
    }
  }
  return out;
}

/** Every encoding in which a piece may reach a log: base64, hex, URL and form encoding, JSON escaping. */
export function encodedForms(piece: string): string[] {
  const json = JSON.stringify(piece).slice(1, -1);
  const forms = [
    piece,
    ...base64Forms(piece),
    Buffer.from(piece).toString("hex"),
    Buffer.from(piece).toString("hex").toUpperCase(),
    encodeURIComponent(piece),
    encodeURI(piece),
    new URLSearchParams({ v: piece }).toString().slice(2),
    json,
    json.replace(/\//g, "\\/"),
    JSON.stringify(json).slice(1, -1),
    // JSON with every non-ASCII and HTML-significant character escaped (some serializers do).
    json.replace(/[^\x20-\x7e]|[<>&']/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
  ];
  return forms;
}

export class SecretRegistry {
  readonly #values = new Set<string>();
  readonly #onSecret?: (value: string) => void;
  readonly #handed = new Set<string>();
  /** Every maskable form, longest first. */
  #ordered: string[] = [];
  readonly #forms = new Set<string>();
  /** Registered values too short or too common to mask: lines holding them are withheld. */
  readonly #unmaskable = new Set<string>();
  #unmaskablePattern?: RegExp;

  constructor(onSecret?: (value: string) => void) {
    this.#onSecret = onSecret;
  }

  /**
   * Registers a secret with all its derived forms. The runner is told each maskable piece on its
   * own (so a multi-line value arrives as one mask per line); a value too short or too common to
   * mask is not told to the runner, and log lines holding it are withheld instead.
   */
  add(value: string): void {
    if (value === "" || this.#values.has(value)) return;
    this.#values.add(value);
    if (tooCommonToMask(value)) {
      this.#unmaskable.add(value.trim());
      this.#unmaskablePattern = undefined;
      return;
    }
    let changed = false;
    for (const piece of secretPieces(value)) {
      if (tooCommonToMask(piece)) continue;
      if (!/[\r\n]/.test(piece) && !this.#handed.has(piece)) {
        this.#handed.add(piece);
        this.#onSecret?.(piece);
      }
      for (const form of encodedForms(piece)) {
        if (form.length >= MIN_REDACTED_LENGTH && !tooCommonToMask(form) && !this.#forms.has(form)) {
          this.#forms.add(form);
          this.#ordered.push(form);
          changed = true;
        }
      }
    }
    // Longest first, so a secret that contains another is replaced whole.
    if (changed) this.#ordered.sort((a, b) => b.length - a.length);
  }

  has(value: string): boolean {
    return this.#values.has(value);
  }

  /** Replaces every maskable form of every secret in one message. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.#ordered) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  /** True when a line holds a value too short or too common to mask (as a word of its own). */
  holdsUnmaskable(line: string): boolean {
    if (this.#unmaskable.size === 0) return false;
    this.#unmaskablePattern ??= new RegExp(
      `(?<![A-Za-z0-9])(?:${[...this.#unmaskable].map(escapeRegExp).join("|")})(?![A-Za-z0-9])`,
      "i",
    );
    return this.#unmaskablePattern.test(line);
  }

  /**
   * Redacts a log tail: every line as redact() does, a secret split across two consecutive lines,
   * and lines holding a value too short or too common to mask are replaced by one notice.
   */
  redactLines(lines: readonly string[]): string[] {
    const redacted = lines.map((line) => this.redact(line));
    this.#redactSplits(redacted);
    const hold = redacted.map((line) => this.holdsUnmaskable(line));
    for (let i = 0; i + 1 < redacted.length; i++) {
      // A short value split across two lines.
      if (!hold[i] && !hold[i + 1] && this.holdsUnmaskable(`${redacted[i]}${redacted[i + 1]}`)) {
        hold[i] = true;
        hold[i + 1] = true;
      }
    }
    const out: string[] = [];
    let withheld = 0;
    redacted.forEach((line, i) => {
      if (hold[i]) {
        withheld++;
        return;
      }
      if (withheld > 0) out.push(WITHHELD(withheld));
      withheld = 0;
      out.push(line);
    });
    if (withheld > 0) out.push(WITHHELD(withheld));
    return out;
  }

  /** A secret whose beginning ends one line and whose rest starts the next (after indentation). */
  #redactSplits(lines: string[]): void {
    for (let i = 0; i + 1 < lines.length; i++) {
      const a = lines[i] as string;
      const b = lines[i + 1] as string;
      const indent = b.length - b.trimStart().length;
      const next = b.slice(indent);
      for (const secret of this.#ordered) {
        let cut = -1;
        for (let k = 1; k < secret.length; k++) {
          if (a.endsWith(secret.slice(0, k)) && next.startsWith(secret.slice(k))) {
            cut = k;
            break;
          }
        }
        if (cut === -1) continue;
        lines[i] = `${a.slice(0, a.length - cut)}${REDACTED}`;
        lines[i + 1] = `${b.slice(0, indent)}${REDACTED}${next.slice(secret.length - cut)}`;
        break;
      }
    }
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
