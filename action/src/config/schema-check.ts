// Validates parsed config data against schemas/railway.schema.json and turns ajv's
// errors into findings a person can act on, each at the key or value it concerns.

import { Ajv, type ErrorObject, type ValidateFunction } from "ajv";
import { distance } from "fastest-levenshtein";
import schema from "../../../schemas/railway.schema.json" with { type: "json" };
import { firstControlCharacter } from "../report/escape.ts";
import { type NodePositions, type PositionMap, pointer, pointerSegments } from "./positions.ts";
import { clip, quote, worthSuggesting } from "./quote.ts";
import type { Finding, SourceLocation } from "./types.ts";

let compiled: ValidateFunction | undefined;

/** Compiled once per process: compiling costs far more than validating a file. */
function validator(): ValidateFunction {
  if (compiled === undefined) {
    const ajv = new Ajv({
      allErrors: true,
      verbose: true,
      strict: false,
      discriminator: true,
      allowUnionTypes: true,
    });
    compiled = ajv.compile(schema);
  }
  return compiled;
}

const definitions = schema.definitions as Record<string, { properties?: Record<string, unknown> }>;
const buildKeys = Object.keys(definitions.build?.properties ?? {});
const deployKeys = Object.keys(definitions.deploy?.properties ?? {});

/** Keys people write for a documented one; too far apart for an edit-distance match. */
const knownAliases: Record<string, string> = {
  watchPaths: "watchPatterns",
  watchPath: "watchPatterns",
  dockerfile: "dockerfilePath",
  dockerFile: "dockerfilePath",
  startCmd: "startCommand",
  buildCmd: "buildCommand",
  healthCheckPath: "healthcheckPath",
  healthcheck: "healthcheckPath",
  replicas: "numReplicas",
  restartPolicy: "restartPolicyType",
  schema: "$schema",
};

export function displayPath(segments: readonly string[]): string {
  let out = "";
  for (const segment of segments) {
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(segment)) out += out === "" ? clip(segment) : `.${clip(segment)}`;
    else out += `${out === "" ? "" : "."}${quote(segment)}`;
  }
  return out;
}

function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a date";
  if (typeof value === "number") return Number.isInteger(value) ? "an integer" : "a decimal number";
  if (typeof value === "object") return "a table";
  if (typeof value === "string") return "a string";
  if (typeof value === "boolean") return "a boolean";
  return typeof value;
}

function describeType(type: string): string {
  switch (type) {
    case "integer":
      return "an integer";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "a boolean (true or false)";
    case "array":
      return "an array";
    case "object":
      return "a table";
    default:
      return type;
  }
}

function joinAlternatives(items: string[]): string {
  if (items.length <= 1) return items[0] ?? "";
  return `${items.slice(0, -1).join(", ")} or ${items[items.length - 1]}`;
}

export function closest(word: string, candidates: string[]): string | undefined {
  if (!worthSuggesting(word)) return undefined;
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of candidates) {
    const d = distance(word.toLowerCase(), candidate.toLowerCase());
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  const limit = Math.max(1, Math.floor(word.length / 3));
  return best !== undefined && bestDistance <= limit ? best : undefined;
}

interface Context {
  file: string;
  isJson: boolean;
  data: unknown;
  positions: PositionMap;
}

function valueAt(data: unknown, segments: readonly string[]): unknown {
  let node = data;
  for (const segment of segments) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

/** The nearest recorded position at or above a path (an implicit table has none of its own). */
function positionsAt(positions: PositionMap, segments: readonly string[]): NodePositions | undefined {
  for (let length = segments.length; length >= 0; length -= 1) {
    const found = positions.get(pointer(segments.slice(0, length)));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Where a key (or its value) sits; falls back to the nearest enclosing table, then 1:1. */
export function locateIn(
  file: string,
  positions: PositionMap,
  segments: readonly string[],
  prefer: "key" | "value",
): SourceLocation {
  const found = positionsAt(positions, segments);
  const position = prefer === "key" ? (found?.key ?? found?.value) : (found?.value ?? found?.key);
  if (position === undefined) return { file, line: 1, column: 1 };
  return {
    file,
    line: position.line,
    column: position.column,
    endLine: position.endLine,
    endColumn: position.endColumn,
  };
}

function locate(context: Context, segments: readonly string[], prefer: "key" | "value"): SourceLocation {
  return locateIn(context.file, context.positions, segments, prefer);
}

function sectionName(segments: readonly string[]): string {
  return segments.length === 0 ? "at the top level" : `in [${displayPath(segments)}]`;
}

const VARIABLES_IN_RAILWAY =
  "Railway never read variables from this file: set them in the service's Variables in Railway (dashboard or `railway variables --set`); Railyard's [variables] `required` lists names that must exist there";

/** Tables people wrote that Railway never read, and where that setting lives in Railway. */
function foreignTableHint(key: string, parent: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  if (["env", "envvars", "environment_variables", "envs"].includes(lower) && parent.length <= 1)
    return VARIABLES_IN_RAILWAY;
  if (lower === "networking" || lower === "domains" || lower === "ports")
    return "Railway never read networking from this file: domains and ports live in the service's Settings → Networking in Railway";
  return undefined;
}

function unknownKeySuggestion(key: string, parent: readonly string[], allowed: string[]): string | undefined {
  if (parent[parent.length - 1] === "variables" && /^[A-Z_][A-Z0-9_]*$/.test(key)) {
    return `Railway never read variable values from this file: set ${key} in the service's Variables in Railway; a fixed, non-secret value may go under \`set\` (set = { ${key} = "..." }), and \`required\` lists names that must exist in Railway`;
  }
  const foreign = foreignTableHint(key, parent);
  if (foreign !== undefined) return foreign;
  if (!worthSuggesting(key)) return undefined;
  const alias = knownAliases[key];
  if (alias !== undefined && allowed.includes(alias)) return `did you mean \`${alias}\`?`;
  const near = closest(key, allowed);
  if (near !== undefined) return `did you mean \`${near}\`?`;
  if (allowed.includes("deploy") && allowed.includes("build")) {
    const target = deployKeys.includes(key) ? "deploy" : buildKeys.includes(key) ? "build" : undefined;
    if (target !== undefined) return `\`${key}\` belongs in [${displayPath([...parent, target])}]`;
    const nested =
      closest(key, [...deployKeys, ...buildKeys]) ??
      (knownAliases[key] !== undefined ? knownAliases[key] : undefined);
    if (nested !== undefined && (deployKeys.includes(nested) || buildKeys.includes(nested))) {
      const section = deployKeys.includes(nested) ? "deploy" : "build";
      return `did you mean \`${nested}\` in [${displayPath([...parent, section])}]?`;
    }
    if (allowed.length === 2) {
      return /^[A-Z_][A-Z0-9_]*$/.test(key)
        ? `an environment block holds only [build] and [deploy]; Railway never read variables from this file: set ${key} in that environment's Variables in Railway`
        : "an environment block holds only [build] and [deploy]; declare variables under [variables] or [services.<name>.variables]";
    }
  }
  return undefined;
}

type AjvError = ErrorObject & { parentSchema?: Record<string, unknown> };

function isEnumField(parentSchema: Record<string, unknown> | undefined): string[] | undefined {
  const anyOf = parentSchema?.anyOf;
  if (!Array.isArray(anyOf)) return undefined;
  const first = anyOf[0] as { enum?: unknown } | undefined;
  return Array.isArray(first?.enum) ? (first.enum as string[]) : undefined;
}

/** Keeps, for each failed anyOf, only the errors of the branch whose type fits the value. */
function pruneAlternatives(errors: AjvError[]): AjvError[] {
  const dropped = new Set<AjvError>();
  for (const error of errors) {
    if (error.keyword !== "anyOf" && error.keyword !== "oneOf") continue;
    if (isEnumField(error.parentSchema) !== undefined) {
      for (const other of errors)
        if (other !== error && other.schemaPath.startsWith(`${error.schemaPath}/`)) dropped.add(other);
      continue;
    }
    const branches = new Map<string, AjvError[]>();
    for (const other of errors) {
      if (other === error || !other.schemaPath.startsWith(`${error.schemaPath}/`)) continue;
      const branch = other.schemaPath.slice(error.schemaPath.length + 1).split("/")[0] ?? "";
      branches.set(branch, [...(branches.get(branch) ?? []), other]);
    }
    const fitting = [...branches.entries()].filter(
      ([branch, list]) =>
        !list.some(
          (e) =>
            e.keyword === "type" &&
            e.instancePath === error.instancePath &&
            e.schemaPath === `${error.schemaPath}/${branch}/type`,
        ),
    );
    if (fitting.length === 0) {
      for (const list of branches.values()) for (const e of list) dropped.add(e);
    } else {
      dropped.add(error);
      const keep = fitting[0]?.[0];
      for (const [branch, list] of branches) if (branch !== keep) for (const e of list) dropped.add(e);
    }
  }
  return errors.filter((error) => !dropped.has(error));
}

function expectedTypes(error: AjvError, isJson: boolean): string[] {
  const raw = error.keyword === "type" ? error.params.type : undefined;
  let types: string[] = [];
  if (typeof raw === "string") types = raw.split(",");
  else if (Array.isArray(raw)) types = raw as string[];
  else if (Array.isArray(error.parentSchema?.anyOf)) {
    for (const branch of error.parentSchema.anyOf as { type?: string | string[] }[]) {
      if (typeof branch.type === "string") types.push(branch.type);
      else if (Array.isArray(branch.type)) types.push(...branch.type);
    }
  }
  // TOML has no null: offering it would only confuse.
  return types.filter((type) => isJson || type !== "null");
}

function errorToFinding(error: AjvError, context: Context): Finding | undefined {
  const segments = pointerSegments(error.instancePath);
  const path = displayPath(segments);
  const value = valueAt(context.data, segments);
  const subject = segments.length === 0 ? "the file" : `\`${path}\``;

  switch (error.keyword) {
    case "additionalProperties": {
      const key = String(error.params.additionalProperty);
      const allowed = Object.keys(
        (error.parentSchema?.properties as Record<string, unknown> | undefined) ?? {},
      );
      const suggestion = unknownKeySuggestion(key, segments, allowed);
      return {
        severity: "error",
        code: "unknown-key",
        message: `unknown key \`${clip(key)}\` ${sectionName(segments)}`,
        ...(suggestion === undefined ? {} : { suggestion }),
        location: locate(context, [...segments, key], "key"),
      };
    }
    case "propertyNames": {
      const name = String(error.params.propertyName);
      const isService = segments[segments.length - 1] === "services";
      const control = firstControlCharacter(name);
      if (control !== undefined && (isService || segments[segments.length - 1] === "environments")) {
        return {
          severity: "error",
          code: "bad-name",
          message: `${isService ? "service" : "environment"} name ${quote(name)} holds a control character (${control}); names are plain text`,
          location: locate(context, [...segments, name], "key"),
        };
      }
      return {
        severity: "error",
        code: isService ? "bad-service-name" : "bad-variable-name",
        message: isService
          ? "a service name must not be empty"
          : `\`${clip(name)}\` is not a valid variable name (letters, digits and _, not starting with a digit)`,
        location: locate(context, [...segments, name], "key"),
      };
    }
    case "type":
    case "anyOf":
    case "oneOf": {
      const allowedValues = isEnumField(error.parentSchema);
      if (allowedValues !== undefined && typeof value === "string") {
        const near =
          closest(value.replace(/-/g, "_"), allowedValues) ??
          allowedValues.find((v) => v.startsWith(value.toUpperCase()));
        return {
          severity: "error",
          code: "bad-enum",
          message: `${subject} must be one of ${allowedValues.join(", ")} (any letter case), not ${typeof value === "string" ? quote(value) : describeValue(value)}`,
          ...(near === undefined ? {} : { suggestion: `did you mean \`${near}\`?` }),
          location: locate(context, segments, "value"),
        };
      }
      const expected = expectedTypes(error, context.isJson).map(describeType);
      const composeStyle = path === "services" && Array.isArray(value);
      return {
        severity: "error",
        code: "wrong-type",
        message: `${subject} must be ${joinAlternatives(expected)}, not ${describeValue(value)}`,
        ...(composeStyle
          ? {
              suggestion:
                "Railyard names each service as a table: [services.<railway service name>], not [[services]]",
            }
          : {}),
        location: locate(context, segments, "value"),
      };
    }
    case "required": {
      const missing = String(error.params.missingProperty);
      return {
        severity: "error",
        code: "missing-key",
        message: `${subject} is missing \`${missing}\``,
        location: locate(context, segments, "key"),
      };
    }
    case "discriminator":
      // The role's own enum or type error already says what is wrong.
      return undefined;
    case "enum": {
      const allowedValues = Array.isArray(error.params.allowedValues)
        ? (error.params.allowedValues as unknown[])
        : [];
      return {
        severity: "error",
        code: "bad-enum",
        message: `${subject} must be ${joinAlternatives(allowedValues.map((v) => JSON.stringify(v)))}, not ${typeof value === "string" ? quote(value) : describeValue(value)}`,
        location: locate(context, segments, "value"),
      };
    }
    case "pattern": {
      const control = typeof value === "string" ? firstControlCharacter(value) : undefined;
      if (control !== undefined) {
        return {
          severity: "error",
          code: "bad-name",
          message: `${subject} ${quote(value as string)} holds a control character (${control}); service names are plain text`,
          location: locate(context, segments, "value"),
        };
      }
      if (
        typeof error.parentSchema?.pattern === "string" &&
        error.parentSchema.pattern.startsWith("^[A-Za-z_]")
      ) {
        return {
          severity: "error",
          code: "bad-variable-name",
          message: `${typeof value === "string" ? quote(value) : describeValue(value)} is not a valid variable name (letters, digits and _, not starting with a digit)`,
          location: locate(context, segments, "value"),
        };
      }
      break;
    }
    case "minimum":
    case "exclusiveMinimum": {
      const limit = Number(error.params.limit);
      return {
        severity: "error",
        code: "out-of-range",
        message: `${subject} must be ${error.keyword === "minimum" ? "at least" : "greater than"} ${limit}, not ${String(value)}`,
        location: locate(context, segments, "value"),
      };
    }
    case "minLength": {
      return {
        severity: "error",
        code: "empty-value",
        message: `${subject} must not be empty`,
        location: locate(context, segments, "value"),
      };
    }
    default:
      break;
  }
  return {
    severity: "error",
    code: "schema",
    message: `${subject} ${error.message ?? "is not valid"}`,
    location: locate(context, segments, "value"),
  };
}

/** Schema findings for one parsed file, in document order. */
export function schemaFindings(file: string, data: unknown, positions: PositionMap): Finding[] {
  const validate = validator();
  if (validate(data)) return [];
  const context: Context = { file, isJson: file.toLowerCase().endsWith(".json"), data, positions };
  const errors = pruneAlternatives((validate.errors ?? []) as AjvError[]);
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    // Errors inside a propertyNames check repeat what the propertyNames error says.
    if (
      error.schemaPath.includes("/propertyNames/") ||
      (error as { propertyName?: string }).propertyName !== undefined
    )
      continue;
    const finding = errorToFinding(error, context);
    if (finding === undefined) continue;
    const identity = `${finding.location.line}:${finding.location.column}:${finding.code}:${finding.message}`;
    if (seen.has(identity)) continue;
    seen.add(identity);
    findings.push(finding);
  }
  return findings;
}
