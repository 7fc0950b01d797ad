// The properties every run of the config path must keep, whatever the input:
// no throw, positioned findings with a readable message, and settings that resolve
// for every declared service. Pure: takes what loadConfig returned (or threw).

/** The environments settings resolution is exercised in (the two the action deploys to). */
export const FUZZ_ENVIRONMENTS = ["production", "pr"] as const;

export interface FindingLike {
  severity?: unknown;
  code?: unknown;
  message?: unknown;
  location?: { file?: unknown; line?: unknown; column?: unknown } | null;
}

export interface LoadResultLike {
  files?: unknown;
  services?: unknown;
  findings?: unknown;
}

// Built from strings: a literal would trip the linter's control-character rule.
/** A raw control character in a message (tab allowed): messages must be printable (issue 13). */
// biome-ignore lint/complexity/useRegexLiterals: a literal of control characters trips noControlCharactersInRegex
const RAW_CONTROL = new RegExp(
  "[\\u0000-\\u0008\\u000a-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e]",
);
/** A control character in a name: never valid in a service name or dependsOn entry. */
// biome-ignore lint/complexity/useRegexLiterals: a literal of control characters trips noControlCharactersInRegex
const NAME_CONTROL = new RegExp("[\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e]");

/** A stack frame line as V8 prints it; a message containing one leaked an internal error. */
const STACK_FRAME = /^\s{2,}at\s/m;

/** JavaScript's own error texts: a message quoting one is an internal failure, not advice for a person. */
const INTERNAL_ERROR =
  /Maximum call stack size exceeded|Cannot read properties of|is not a function|is not iterable|\[object Object\]|RangeError|TypeError/;

/** Longer than this, a message is a dump (e.g. quoting a 4 MB key), not one precise sentence. */
export const MAX_MESSAGE_LENGTH = 2000;

/** Checks one finding; returns the broken invariants, each a short sentence. */
export function findingViolations(finding: FindingLike, lineCounts: ReadonlyMap<string, number>): string[] {
  const problems: string[] = [];
  const where = describeFinding(finding);
  const location = finding.location;
  if (!location || typeof location !== "object") return [`finding without a location: ${where}`];
  if (typeof location.file !== "string" || location.file.length === 0)
    problems.push(`finding without a file: ${where}`);
  if (typeof location.line !== "number" || !Number.isInteger(location.line) || location.line < 1)
    problems.push(`finding with line ${String(location.line)} (must be an integer >= 1): ${where}`);
  if (typeof location.column !== "number" || !Number.isInteger(location.column) || location.column < 1)
    problems.push(`finding with column ${String(location.column)} (must be an integer >= 1): ${where}`);
  const lines = typeof location.file === "string" ? lineCounts.get(location.file) : undefined;
  if (lines !== undefined && typeof location.line === "number" && location.line > lines + 1)
    problems.push(
      `finding at line ${location.line} past the end of ${location.file} (${lines} lines): ${where}`,
    );
  if (typeof finding.message !== "string" || finding.message.trim().length === 0)
    problems.push(`finding with an empty message: ${where}`);
  else if (STACK_FRAME.test(finding.message))
    problems.push(`finding message contains a stack trace: ${where}`);
  else if (finding.message.length > MAX_MESSAGE_LENGTH)
    problems.push(
      `finding message is ${finding.message.length} characters long (max ${MAX_MESSAGE_LENGTH}): ${where}`,
    );
  else if (INTERNAL_ERROR.test(finding.message))
    problems.push(`finding message is a JavaScript internal error, not a message for a person: ${where}`);
  if (typeof finding.message === "string" && RAW_CONTROL.test(finding.message))
    problems.push(`finding message holds a raw control character (it must be printable): ${where}`);
  if (finding.severity !== "error" && finding.severity !== "warning")
    problems.push(`finding with severity ${String(finding.severity)}: ${where}`);
  return problems;
}

/** Checks a whole loadConfig result. */
export function resultViolations(result: LoadResultLike, lineCounts: ReadonlyMap<string, number>): string[] {
  if (!result || typeof result !== "object") return [`loadConfig returned ${typeof result}, not an object`];
  if (!Array.isArray(result.findings)) return ["loadConfig result has no findings array"];
  if (!Array.isArray(result.services)) return ["loadConfig result has no services array"];
  return result.findings.flatMap((finding) => findingViolations(finding as FindingLike, lineCounts));
}

/**
 * Names and paths a valid config can never hold (issue 13): a service name or dependsOn entry with
 * a control character, a watch pattern with a `..` segment, a Dockerfile path above the root.
 */
export function acceptedBadNames(result: LoadResultLike): string[] {
  if (!isValidResult(result) || !Array.isArray(result.services)) return [];
  const problems: string[] = [];
  const control = NAME_CONTROL;
  for (const service of result.services as { name?: unknown; dependsOn?: unknown }[]) {
    if (typeof service.name === "string" && control.test(service.name))
      problems.push(`a service name with a control character was accepted: ${JSON.stringify(service.name)}`);
    for (const dep of Array.isArray(service.dependsOn) ? service.dependsOn : [])
      if (typeof dep === "string" && control.test(dep))
        problems.push(`a dependsOn entry with a control character was accepted: ${JSON.stringify(dep)}`);
  }
  return problems;
}

/** Resolved settings a valid config can never produce: a watch pattern that climbs, a Dockerfile outside. */
export function settingsViolations(name: string, settings: unknown): string[] {
  const s = (settings ?? {}) as {
    watchPatterns?: unknown;
    dockerfilePath?: unknown;
    rootDirectory?: unknown;
  };
  const problems: string[] = [];
  for (const pattern of Array.isArray(s.watchPatterns) ? s.watchPatterns : [])
    if (typeof pattern === "string" && pattern.replace(/^!/, "").split("/").includes(".."))
      problems.push(
        `service ${JSON.stringify(name)} resolved a watch pattern with "..": ${JSON.stringify(pattern)}`,
      );
  if (typeof s.dockerfilePath === "string") {
    const root =
      typeof s.rootDirectory === "string" && !s.dockerfilePath.startsWith("/") ? s.rootDirectory : "";
    let depth = 0;
    for (const segment of `${root}/${s.dockerfilePath}`.split("/")) {
      if (segment === "" || segment === ".") continue;
      depth += segment === ".." ? -1 : 1;
      if (depth < 0) {
        problems.push(
          `service ${JSON.stringify(name)} resolved a Dockerfile above the root: ${JSON.stringify(s.dockerfilePath)}`,
        );
        break;
      }
    }
  }
  return problems;
}

/** A config is valid when it produced no error finding; only then must every service resolve. */
export function isValidResult(result: LoadResultLike): boolean {
  return (
    Array.isArray(result.findings) &&
    result.findings.every((finding) => (finding as FindingLike).severity !== "error")
  );
}

/** Names of the services a result declares (tolerates odd shapes: the checks above report those). */
export function serviceNames(result: LoadResultLike): string[] {
  if (!Array.isArray(result.services)) return [];
  return result.services
    .map((service) => (service as { name?: unknown }).name)
    .filter((name): name is string => typeof name === "string");
}

/** One line per thrown value: its name and message, without the stack. */
export function describeThrown(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.split("\n")[0]}`;
  return `non-Error value ${String(error).slice(0, 200)}`;
}

function describeFinding(finding: FindingLike): string {
  const location = finding.location ?? {};
  const message = typeof finding.message === "string" ? finding.message.split("\n")[0]?.slice(0, 160) : "";
  return `[${String(finding.code)}] ${String(location.file)}:${String(location.line)}:${String(location.column)} ${message}`;
}

/** Number of lines of a file's text, counting a final line without a newline. */
export function countLines(text: string): number {
  if (text.length === 0) return 1;
  const newlines = text.split(/\r\n|\r|\n/).length;
  return newlines;
}
