// One escaping function for every piece of user or server text that Railyard prints: config
// names and values, file paths, Railway's messages and log lines. A piece can then neither
// start a line of its own (no CR/LF), nor carry terminal escape sequences or other control
// characters, nor be read by the GitHub runner as a workflow command (`::error ...`,
// `::add-mask::`, `::stop-commands::`, legacy `##[...]`). See docs/decisions/0126-printable-text.md.

/** C0 and C1 control characters (tab excepted), DEL, and the Unicode line and bidi controls. */
// biome-ignore lint/complexity/useRegexLiterals: a literal would need an ignore that biome cannot place inside a wrapped line
const CONTROL = new RegExp(
  "[\\u0000-\\u0008\\u000b-\\u001f\\u007f-\\u009f\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069]",
  "g",
);

function escapeChar(char: string): string {
  switch (char) {
    case "\n":
      return "\\n";
    case "\r":
      return "\\r";
    case "\u001b":
      return "\\e";
    case "\u0000":
      return "\\0";
    default: {
      const code = char.charCodeAt(0);
      return code <= 0xff
        ? `\\x${code.toString(16).padStart(2, "0")}`
        : `\\u${code.toString(16).padStart(4, "0")}`;
    }
  }
}

/**
 * `text` made safe to print as part of one line: line breaks and control characters shown as
 * escapes (`\n`, `\r`, `\e`, `\x07`, `\u202e`), and a leading workflow command marker (`::`,
 * `##[`) broken with a backslash. Plain text comes back unchanged.
 */
export function printable(text: unknown): string {
  const s = typeof text === "string" ? text : String(text);
  const escaped = s
    .replace(/\r\n|[\n\r]/g, (m) => (m === "\r\n" ? "\\r\\n" : escapeChar(m)))
    .replace(CONTROL, escapeChar);
  return escaped.replace(/^(\s*)(::|##\[)/, "$1\\$2");
}

/** True when `text` holds a character printable() would escape (for config checks of names). */
export function holdsControlCharacter(text: string): boolean {
  CONTROL.lastIndex = 0;
  return /[\n\r]/.test(text) || new RegExp(CONTROL.source).test(text);
}

/** The first control character of `text` as U+XXXX, for a message. */
export function firstControlCharacter(text: string): string | undefined {
  const match = /[\n\r]/.exec(text) ?? new RegExp(CONTROL.source).exec(text);
  return match
    ? `U+${(match[0].charCodeAt(0) as number).toString(16).toUpperCase().padStart(4, "0")}`
    : undefined;
}

/** A copy of a plain value (objects, arrays) with `fn` applied to every string in it. */
export function mapStrings<T>(value: T, fn: (text: string) => string): T {
  if (typeof value === "string") return fn(value) as T;
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fn)) as T;
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) out[key] = mapStrings(item, fn);
    return out as T;
  }
  return value;
}

/**
 * A copy of a report value with every string in it made printable: the renderers build their
 * lines from it, so no field (today's or one added later) can smuggle a line break or an escape.
 */
export function printableDeep<T>(value: T): T {
  return mapStrings(value, printable);
}
