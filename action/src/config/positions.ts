// Source positions for every key and value of a parsed config file, keyed by JSON
// pointer (the same form as ajv's instancePath), so a schema error can point at
// file:line:column. TOML positions come from toml-eslint-parser's AST; JSON positions
// from a small parser here, because JSON.parse keeps none.

import { type AST, parseTOML } from "toml-eslint-parser";

/** 1-based line and column. */
export interface Position {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface NodePositions {
  /** The key naming this node (absent for the root and array elements). */
  key?: Position;
  /** The value (or the whole table, for a TOML [table]). */
  value: Position;
}

export type PositionMap = Map<string, NodePositions>;

export function pointer(segments: readonly (string | number)[]): string {
  return segments.map((segment) => `/${String(segment).replace(/~/g, "~0").replace(/\//g, "~1")}`).join("");
}

export function pointerSegments(path: string): string[] {
  if (path === "") return [];
  return path
    .slice(1)
    .split("/")
    .map((segment) => segment.replace(/~1/g, "/").replace(/~0/g, "~"));
}

function fromLoc(loc: AST.SourceLocation): Position {
  // toml-eslint-parser columns are 0-based.
  return {
    line: loc.start.line,
    column: loc.start.column + 1,
    endLine: loc.end.line,
    endColumn: loc.end.column + 1,
  };
}

function keyName(key: AST.TOMLBare | AST.TOMLQuoted): string {
  return key.type === "TOMLBare" ? key.name : key.value;
}

/** Positions of a TOML document; undefined when toml-eslint-parser cannot parse it. */
export function tomlPositions(text: string): PositionMap | undefined {
  let program: AST.TOMLProgram;
  try {
    program = parseTOML(text);
  } catch {
    return undefined;
  }
  const map: PositionMap = new Map();
  map.set("", { value: fromLoc(program.loc) });
  const remember = (path: (string | number)[], positions: NodePositions) => {
    const at = pointer(path);
    if (!map.has(at)) map.set(at, positions);
  };

  const visitValue = (path: (string | number)[], node: AST.TOMLContentNode) => {
    if (node.type === "TOMLInlineTable") {
      for (const entry of node.body) visitKeyValue(path, entry);
    } else if (node.type === "TOMLArray") {
      node.elements.forEach((element, index) => {
        remember([...path, index], { value: fromLoc(element.loc) });
        visitValue([...path, index], element);
      });
    }
  };

  const visitKeyValue = (base: (string | number)[], entry: AST.TOMLKeyValue) => {
    const names = entry.key.keys.map(keyName);
    names.forEach((_, index) => {
      const keyNode = entry.key.keys[index];
      if (keyNode === undefined) return;
      const path = [...base, ...names.slice(0, index + 1)];
      if (index === names.length - 1)
        remember(path, { key: fromLoc(keyNode.loc), value: fromLoc(entry.value.loc) });
      else remember(path, { key: fromLoc(keyNode.loc), value: fromLoc(keyNode.loc) });
    });
    visitValue([...base, ...names], entry.value);
  };

  for (const item of program.body[0].body) {
    if (item.type === "TOMLKeyValue") {
      visitKeyValue([], item);
      continue;
    }
    const resolved = item.resolvedKey;
    // Implicit parent tables ([services.api.deploy] creates services and services.api).
    let nameIndex = 0;
    const path: (string | number)[] = [];
    for (const segment of resolved) {
      path.push(segment);
      if (typeof segment === "number") continue;
      const keyNode = item.key.keys[nameIndex];
      nameIndex += 1;
      if (keyNode === undefined) continue;
      const isLast =
        path.length === resolved.length ||
        (resolved.length === path.length + 1 && typeof resolved[path.length] === "number");
      remember([...path], {
        key: fromLoc(keyNode.loc),
        value: isLast ? fromLoc(item.loc) : fromLoc(keyNode.loc),
      });
    }
    remember(resolved, { key: fromLoc(item.key.loc), value: fromLoc(item.loc) });
    for (const entry of item.body) visitKeyValue(resolved, entry);
  }
  return map;
}

export class JsonSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
    this.name = "JsonSyntaxError";
  }
}

export interface ParsedJson {
  data: unknown;
  positions: PositionMap;
  /** Keys that appear twice in one object (JSON.parse would silently keep the last). */
  duplicateKeys: { path: string; key: string; position: Position }[];
}

/** A strict JSON parser (RFC 8259) that records where every key and value sits. */
export function parseJsonWithPositions(text: string): ParsedJson {
  let index = 0;
  let line = 1;
  let column = 1;
  const positions: PositionMap = new Map();
  const duplicateKeys: ParsedJson["duplicateKeys"] = [];

  const fail = (message: string): never => {
    throw new JsonSyntaxError(message, line, column);
  };
  const advance = () => {
    if (text[index] === "\n") {
      line += 1;
      column = 1;
    } else {
      column += 1;
    }
    index += 1;
  };
  const skipWhitespace = () => {
    while (index < text.length && " \t\r\n".includes(text[index] as string)) advance();
  };
  const here = () => ({ line, column });
  const span = (start: { line: number; column: number }): Position => ({
    ...start,
    endLine: line,
    endColumn: column,
  });
  const describe = () => (index >= text.length ? "end of file" : `\`${text[index]}\``);

  const parseString = (): string => {
    const startIndex = index;
    advance();
    while (index < text.length && text[index] !== '"') {
      const char = text[index] as string;
      if (char === "\\") advance();
      else if (char < " ") fail("control character in a string");
      advance();
    }
    if (index >= text.length) fail("unterminated string");
    advance();
    try {
      return JSON.parse(text.slice(startIndex, index)) as string;
    } catch {
      return fail("invalid escape sequence in a string");
    }
  };

  const parseValue = (path: (string | number)[], key?: Position): unknown => {
    skipWhitespace();
    const start = here();
    const char = text[index];
    let value: unknown;
    if (char === "{") {
      advance();
      const object: Record<string, unknown> = {};
      skipWhitespace();
      if (text[index] === "}") advance();
      else {
        for (;;) {
          skipWhitespace();
          if (text[index] !== '"') fail(`expected a property name in double quotes, found ${describe()}`);
          const keyStart = here();
          const name = parseString();
          const keyPosition = span(keyStart);
          skipWhitespace();
          if (text[index] !== ":") fail(`expected \`:\` after a property name, found ${describe()}`);
          advance();
          if (Object.hasOwn(object, name))
            duplicateKeys.push({ path: pointer([...path, name]), key: name, position: keyPosition });
          object[name] = parseValue([...path, name], keyPosition);
          skipWhitespace();
          if (text[index] === ",") {
            advance();
            continue;
          }
          if (text[index] === "}") {
            advance();
            break;
          }
          fail(`expected \`,\` or \`}\` in an object, found ${describe()}`);
        }
      }
      value = object;
    } else if (char === "[") {
      advance();
      const array: unknown[] = [];
      skipWhitespace();
      if (text[index] === "]") advance();
      else {
        for (;;) {
          array.push(parseValue([...path, array.length]));
          skipWhitespace();
          if (text[index] === ",") {
            advance();
            continue;
          }
          if (text[index] === "]") {
            advance();
            break;
          }
          fail(`expected \`,\` or \`]\` in an array, found ${describe()}`);
        }
      }
      value = array;
    } else if (char === '"') {
      value = parseString();
    } else {
      const match = /^(?:true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)/.exec(
        text.slice(index, index + 400),
      );
      if (match === null) fail(`unexpected ${describe()}`);
      const literal = (match as RegExpExecArray)[0];
      value = JSON.parse(literal) as unknown;
      if (typeof value === "number" && !Number.isFinite(value)) fail(`number ${literal} is out of range`);
      for (let i = 0; i < literal.length; i += 1) advance();
    }
    const at = pointer(path);
    if (!positions.has(at))
      positions.set(at, key === undefined ? { value: span(start) } : { key, value: span(start) });
    return value;
  };

  if (text.charCodeAt(0) === 0xfeff) index = 1;
  const data = parseValue([]);
  skipWhitespace();
  if (index < text.length) fail(`unexpected ${describe()} after the end of the document`);
  return { data, positions, duplicateKeys };
}
