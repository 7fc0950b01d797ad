// Turns the text of a railway.toml or railway.json into plain data plus source
// positions. Syntax errors become findings with a line and column; nothing throws.

import TOML from "@iarna/toml";
import { ParseError, parseTOML } from "toml-eslint-parser";
import { JsonSyntaxError, type PositionMap, parseJsonWithPositions, tomlPositions } from "./positions.ts";
import type { Finding } from "./types.ts";

export interface ParsedFile {
  /** undefined when the file could not be parsed (a syntax finding explains why). */
  data: unknown;
  positions: PositionMap;
  findings: Finding[];
}

function tooDeep(file: string): ParsedFile {
  return {
    data: undefined,
    positions: new Map(),
    findings: [
      {
        severity: "error",
        code: "too-deep",
        message: "the file nests tables or arrays too deeply to be read",
        location: { file, line: 1, column: 1 },
      },
    ],
  };
}

export function isJsonPath(path: string): boolean {
  return path.toLowerCase().endsWith(".json");
}

/** @iarna/toml returns objects with symbol markers and Date values; make them plain data. */
function toPlain(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Date) return value;
  if (typeof value === "bigint") return Number(value);
  if (value !== null && typeof value === "object") {
    const plain: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value)) plain[key] = toPlain(entry);
    return plain;
  }
  return value;
}

function tomlSyntaxMessage(raw: string): string {
  const firstLine = raw.split("\n")[0] ?? raw;
  return firstLine.replace(/ at row \d+, col \d+, pos \d+:?$/, "").trim();
}

export function parseConfigText(file: string, rawText: string): ParsedFile {
  // Editors on Windows may save a byte-order mark; it is not part of line 1's columns.
  const text = rawText.charCodeAt(0) === 0xfeff ? rawText.slice(1) : rawText;
  if (isJsonPath(file)) {
    try {
      const parsed = parseJsonWithPositions(text);
      const findings: Finding[] = parsed.duplicateKeys.map((duplicate) => ({
        severity: "error",
        code: "duplicate-key",
        message: `key \`${duplicate.key}\` appears twice in the same object; only the last one would count`,
        location: { file, line: duplicate.position.line, column: duplicate.position.column },
      }));
      return { data: parsed.data, positions: parsed.positions, findings };
    } catch (error) {
      if (error instanceof RangeError) return tooDeep(file);
      const syntax = error instanceof JsonSyntaxError ? error : undefined;
      return {
        data: undefined,
        positions: new Map(),
        findings: [
          {
            severity: "error",
            code: "json-syntax",
            message: `JSON syntax error: ${syntax?.message ?? "the file could not be read as JSON"}`,
            location: { file, line: syntax?.line ?? 1, column: syntax?.column ?? 1 },
          },
        ],
      };
    }
  }

  let data: unknown;
  try {
    data = toPlain(TOML.parse(text));
  } catch (error) {
    if (error instanceof RangeError) return tooDeep(file);
    const details = error as { message?: unknown; line?: unknown; col?: unknown };
    let line = typeof details.line === "number" ? details.line + 1 : 1;
    let column = typeof details.col === "number" ? details.col + 1 : 1;
    // toml-eslint-parser points at the start of the offending key or token, where
    // @iarna/toml sometimes points at the end of the line; prefer it when both fail.
    try {
      parseTOML(text);
    } catch (positioned) {
      if (positioned instanceof ParseError) {
        line = positioned.lineNumber;
        column = positioned.column + 1;
      }
    }
    const message =
      typeof details.message === "string"
        ? tomlSyntaxMessage(details.message)
        : "the file could not be read as TOML";
    return {
      data: undefined,
      positions: new Map(),
      findings: [
        {
          severity: "error",
          code: "toml-syntax",
          message: `TOML syntax error: ${message}`,
          location: { file, line, column },
        },
      ],
    };
  }
  return { data, positions: tomlPositions(text) ?? new Map(), findings: [] };
}
