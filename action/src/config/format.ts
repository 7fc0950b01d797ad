// Findings as terminal text: one line per finding, sorted by file and position,
// then a summary line.

import { printable } from "../report/escape.ts";
import type { Finding } from "./types.ts";

const ansi = {
  red: "\u001b[31m",
  yellow: "\u001b[33m",
  dim: "\u001b[2m",
  bold: "\u001b[1m",
  reset: "\u001b[0m",
};

export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      a.location.file.localeCompare(b.location.file) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column ||
      a.code.localeCompare(b.code),
  );
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? "" : "s"}`;
}

export function formatFindings(findings: Finding[], options: { color?: boolean } = {}): string {
  const paint = (code: string, text: string) => (options.color ? `${code}${text}${ansi.reset}` : text);
  const lines = sortFindings(findings).map((raw) => {
    // Names, values and paths from the config are user text: one line each, no escapes.
    const finding = { ...raw, message: printable(raw.message), code: printable(raw.code) };
    const { line, column } = finding.location;
    const file = printable(finding.location.file);
    const severity = paint(finding.severity === "error" ? ansi.red : ansi.yellow, finding.severity);
    const suggestion =
      finding.suggestion === undefined ? "" : paint(ansi.dim, `  (${printable(finding.suggestion)})`);
    return `${paint(ansi.bold, `${file}:${line}:${column}`)} ${severity} ${finding.code}: ${finding.message}${suggestion}`;
  });
  const errors = findings.filter((finding) => finding.severity === "error").length;
  const warnings = findings.length - errors;
  const files = new Set(findings.map((finding) => finding.location.file)).size;
  lines.push(
    findings.length === 0
      ? "no problems found"
      : `${plural(errors, "error")}, ${plural(warnings, "warning")} in ${plural(files, "file")}`,
  );
  return lines.join("\n");
}
