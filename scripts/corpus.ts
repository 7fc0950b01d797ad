// Runs the config validator over a corpus of real public railway.toml / railway.json files
// and checks its conformance: documented fields in documented forms are never flagged, and
// the files the validator rejects are exactly those the corpus index says hold a real mistake
// or a key Railway does not document. The corpus is not part of the repository (it is other
// people's code), so this is a separate command, not part of `npm test`:
//   npm run corpus [-- DIR]               findings per file, a tally, then the conformance checks
//   npm run corpus -- [DIR] --markdown    the tables of docs/corpus-report.md (no checks)
// DIR defaults to RAILYARD_CORPUS_DIR, else ../shared/railway/corpus when it exists.
// Exit codes: 0 every check held, 1 a check failed, 2 no corpus / bad usage.

import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { type Finding, loadConfig, validateConfigText } from "../action/src/config/index.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** Where the developers keep their copy, beside the repository (never required). */
export const SIBLING_CORPUS_DIR = resolve(repoRoot, "../shared/railway/corpus");

/**
 * The corpus folder to use: the one given, else RAILYARD_CORPUS_DIR, else the sibling copy
 * when it exists; undefined when there is none.
 */
export function findCorpusDir(
  given?: string,
  env: NodeJS.ProcessEnv = process.env,
  sibling: string = SIBLING_CORPUS_DIR,
): string | undefined {
  if (given !== undefined && given !== "") return resolve(given);
  const fromEnv = env.RAILYARD_CORPUS_DIR;
  if (fromEnv !== undefined && fromEnv !== "") return resolve(fromEnv);
  return existsSync(sibling) ? sibling : undefined;
}

export const NO_CORPUS_MESSAGE =
  "no Railway config corpus: pass its folder (`npm run corpus -- DIR`) or set RAILYARD_CORPUS_DIR " +
  "(a folder with toml/, json/ and index.tsv; the developers keep one at ../shared/railway/corpus)";

export interface CorpusFile {
  /** Corpus-relative path, e.g. "toml/001.toml". */
  path: string;
  /** Where it came from, e.g. "0-Zt/crypto-dashboard-backend railway.toml". */
  origin: string;
  /** Its path in the repository it came from, e.g. "apps/web/railway.toml": paths in it resolve from there. */
  repoPath: string;
  /** The corpus index's notes for the file. */
  notes: string;
  findings: Finding[];
}

export class CorpusMissingError extends Error {
  constructor(readonly dir: string) {
    super(
      `the Railway config corpus is missing: ${dir} does not exist (give the folder that holds toml/, json/ and index.tsv)`,
    );
    this.name = "CorpusMissingError";
  }
}

function readIndex(dir: string): Map<string, { origin: string; notes: string; repoPath: string }> {
  const index = new Map<string, { origin: string; notes: string; repoPath: string }>();
  const path = join(dir, "index.tsv");
  if (!existsSync(path)) return index;
  const [, ...rows] = readFileSync(path, "utf8").split("\n");
  for (const row of rows) {
    const [file, repo, , origin, notes] = row.split("\t");
    if (file) index.set(file, { origin: `${repo} ${origin}`, notes: notes ?? "", repoPath: origin ?? "" });
  }
  return index;
}

/** Validates each corpus file on its own (they come from different repositories). */
export async function runCorpus(dir: string): Promise<CorpusFile[]> {
  if (!existsSync(dir)) throw new CorpusMissingError(dir);
  const index = readIndex(dir);
  const files: CorpusFile[] = [];
  for (const kind of ["toml", "json"]) {
    const folder = join(dir, kind);
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder).sort()) {
      const path = `${kind}/${name}`;
      const entry = index.get(path);
      // Each file is validated where it lived in its repository, so that a relative
      // dockerfilePath ("../../Dockerfile" from apps/web/) resolves as it did there.
      const repoPath = entry?.repoPath || `railway.${kind}`;
      const repoDir = mkdtempSync(join(tmpdir(), "railyard-corpus-"));
      try {
        mkdirSync(join(repoDir, dirname(repoPath)), { recursive: true });
        writeFileSync(join(repoDir, repoPath), readFileSync(join(dir, path)));
        // The corpus has the config files only, not the repositories: skip Dockerfile checks.
        const config = await loadConfig({ repoDir, files: [repoPath], checkFilesystem: false });
        files.push({
          path,
          origin: entry?.origin ?? "",
          repoPath,
          notes: entry?.notes ?? "",
          findings: config.findings,
        });
      } finally {
        rmSync(repoDir, { recursive: true, force: true });
      }
    }
  }
  return files;
}

/** A finding's reason, with the file-specific parts (key names, values) kept where they explain it. */
export function reasonOf(finding: Finding): string {
  const message = finding.message;
  switch (finding.code) {
    case "unknown-key": {
      const match = /^unknown key `(.+)` (at the top level|in \[(.+)\])$/.exec(message);
      const where = match?.[3] ?? "";
      const section =
        where === ""
          ? "top level"
          : where
              .replace(/^environments\.[^.]+/, "environments.<name>")
              .replace(/^services\.[^.]+/, "services.<name>");
      return `unknown key in ${section.startsWith("services.<name>") ? "services.<name> (docker-compose style)" : section}`;
    }
    case "wrong-type":
      return `wrong type: ${message.replace(/^`([^`]+)`/, (_m, path: string) => `\`${path.replace(/^services\.[^.]+/, "services.<name>")}\``)}`;
    case "bad-enum":
      return `invalid enum value: ${message.replace(/ must be one of .*, not /, " = ").replace(/ must be .*$/, "")}`;
    case "toml-syntax":
    case "json-syntax":
      return "syntax error";
    default:
      return `${finding.code}`;
  }
}

// ---------------------------------------------------------------- conformance

export interface DocumentedFields {
  build: string[];
  deploy: string[];
}

/** The Config-as-Code fields Railway documents (test/fixtures/config/documented-fields.json). */
export function readDocumentedFields(): DocumentedFields {
  return JSON.parse(
    readFileSync(join(repoRoot, "test/fixtures/config/documented-fields.json"), "utf8"),
  ) as DocumentedFields;
}

/** The corpus index's flags for a file, without `lowercase-enum` (Railway documents lower case). */
export function indexFlags(file: CorpusFile): string[] {
  const [flags = ""] = file.notes.split("|");
  return flags
    .split(";")
    .map((flag) => flag.trim())
    .filter((flag) => flag !== "" && flag !== "ok" && !flag.startsWith("lowercase-enum"));
}

/** Only the documented keys of a Config-as-Code file; everything undocumented removed. */
export function documentedPart(data: unknown, documented: DocumentedFields): Record<string, unknown> {
  const pick = (block: unknown, keys: string[]) => {
    if (block === null || typeof block !== "object" || Array.isArray(block)) return block;
    return Object.fromEntries(Object.entries(block).filter(([key]) => keys.includes(key)));
  };
  const source = (data ?? {}) as Record<string, unknown>;
  const result: Record<string, unknown> = {};
  if ("$schema" in source) result.$schema = source.$schema;
  if ("build" in source) result.build = pick(source.build, documented.build);
  if ("deploy" in source) result.deploy = pick(source.deploy, documented.deploy);
  const environments = source.environments;
  if (environments !== null && typeof environments === "object" && !Array.isArray(environments)) {
    result.environments = Object.fromEntries(
      Object.entries(environments).map(([name, block]) => {
        if (block === null || typeof block !== "object" || Array.isArray(block)) return [name, block];
        const env = block as Record<string, unknown>;
        const kept: Record<string, unknown> = {};
        if ("build" in env) kept.build = pick(env.build, documented.build);
        if ("deploy" in env) kept.deploy = pick(env.deploy, documented.deploy);
        return [name, kept];
      }),
    );
  } else if (environments !== undefined) {
    result.environments = environments;
  }
  return result;
}

export interface ConformanceCheck {
  name: string;
  /** One line per disagreement; empty when the check held. */
  problems: string[];
}

/**
 * Lower bounds that keep the checks from passing on a corpus too small to mean anything
 * (the public corpus has 187 files, 40+ with a real mistake, 20+ in lower case).
 */
export interface ConformanceMinimums {
  files: number;
  parsed: number;
  flagged: number;
  lowercase: number;
}

export const PUBLIC_CORPUS_MINIMUMS: ConformanceMinimums = {
  files: 100,
  parsed: 180,
  flagged: 40,
  lowercase: 20,
};

export function checkConformance(
  dir: string,
  files: CorpusFile[],
  minimums: ConformanceMinimums = PUBLIC_CORPUS_MINIMUMS,
  documented: DocumentedFields = readDocumentedFields(),
): ConformanceCheck[] {
  const atLeast = (what: string, count: number, minimum: number) =>
    count >= minimum ? [] : [`only ${count} ${what}, expected at least ${minimum}`];

  const present: ConformanceCheck = {
    name: "the corpus is present",
    problems: atLeast("files", files.length, minimums.files),
  };

  const unexpected: string[] = [];
  let parsed = 0;
  for (const file of files) {
    const text = readFileSync(join(dir, file.path), "utf8");
    const result = validateConfigText(file.repoPath, text, { checkFilesystem: false });
    if (result.file.data === undefined) continue;
    parsed += 1;
    const onlyDocumented = JSON.stringify(documentedPart(result.file.data, documented), null, 2);
    // The value mistakes the index lists on documented keys (DOCKER, on-failure, a table
    // where a string belongs) are the only errors allowed on documented keys.
    const allowed = indexFlags(file)
      .filter((flag) => flag.startsWith("invalid-enum:") || flag.startsWith("type:"))
      .map((flag) => flag.replace(/^[a-z-]+:/, "").replace(/[=].*$/, ""));
    const asJson = posix.join(posix.dirname(file.repoPath), "railway.json");
    for (const finding of validateConfigText(asJson, onlyDocumented, { checkFilesystem: false }).findings) {
      if (finding.severity !== "error") continue;
      const path = /^`([^`]+)`/.exec(finding.message)?.[1] ?? "";
      if (!allowed.includes(path)) unexpected.push(`${file.path}: ${finding.code}: ${finding.message}`);
    }
  }
  const documentedCheck: ConformanceCheck = {
    name: "never flags a documented field in a documented form",
    problems: [...atLeast("files parsed", parsed, minimums.parsed), ...unexpected],
  };

  const disagreements = files
    .filter(
      (file) => indexFlags(file).length > 0 !== file.findings.some((finding) => finding.severity === "error"),
    )
    .map(
      (file) =>
        `${file.path}: index ${JSON.stringify(indexFlags(file))}, validator ${file.findings.map((f) => f.code).join(",")}`,
    );
  const flagged = files.filter((file) => indexFlags(file).length > 0).length;
  const exactly: ConformanceCheck = {
    name: "rejects exactly the files whose index notes list a real mistake or an undocumented key",
    problems: [
      ...atLeast("files with a real mistake in the index", flagged, minimums.flagged),
      ...disagreements,
    ],
  };

  const lowercase = files.filter(
    (file) => file.notes.includes("lowercase-enum") && indexFlags(file).length === 0,
  );
  const lowercaseCheck: ConformanceCheck = {
    name: "accepts lower-case enum values, which Railway's docs use",
    problems: [
      ...atLeast("files with lower-case enum values", lowercase.length, minimums.lowercase),
      ...lowercase.flatMap((file) =>
        file.findings
          .filter((f) => f.code === "bad-enum")
          .map((f) => `${file.path}: ${f.code}: ${f.message}`),
      ),
    ],
  };
  return [present, documentedCheck, exactly, lowercaseCheck];
}

function markdownEscape(text: string): string {
  return text.replace(/\|/g, "\\|");
}

export function summarize(files: CorpusFile[]) {
  const flagged = files.filter((file) => file.findings.some((finding) => finding.severity === "error"));
  const warned = files.filter((file) => !flagged.includes(file) && file.findings.length > 0);
  const reasons = new Map<string, Set<string>>();
  for (const file of files) {
    for (const finding of file.findings) {
      const reason = `${finding.severity}: ${reasonOf(finding)}`;
      reasons.set(reason, (reasons.get(reason) ?? new Set()).add(file.path));
    }
  }
  return {
    total: files.length,
    flagged,
    warned,
    clean: files.length - flagged.length - warned.length,
    reasons,
  };
}

function printText(files: CorpusFile[]): void {
  const { total, flagged, warned, clean, reasons } = summarize(files);
  for (const file of files) {
    for (const finding of file.findings) {
      const { line, column } = finding.location;
      const hint = finding.suggestion === undefined ? "" : `  (${finding.suggestion})`;
      console.log(
        `${file.path}:${line}:${column} ${finding.severity} ${finding.code}: ${finding.message}${hint}`,
      );
    }
  }
  console.log("");
  for (const [reason, paths] of [...reasons.entries()].sort((a, b) => b[1].size - a[1].size)) {
    console.log(`${String(paths.size).padStart(4)}  ${reason}`);
  }
  console.log(
    `\n${total} files: ${clean} clean, ${warned.length} with warnings only, ${flagged.length} with errors`,
  );
}

function printMarkdown(files: CorpusFile[]): void {
  const { total, flagged, warned, clean, reasons } = summarize(files);
  console.log(
    `${total} files: **${clean} clean**, **${warned.length} with warnings only**, **${flagged.length} with errors**.\n`,
  );
  console.log("| reason | files | which |\n| --- | ---: | --- |");
  for (const [reason, paths] of [...reasons.entries()].sort(
    (a, b) => b[1].size - a[1].size || a[0].localeCompare(b[0]),
  )) {
    const which = [...paths].map((path) => path.replace(/\.(toml|json)$/, "")).join(", ");
    console.log(`| ${markdownEscape(reason)} | ${paths.size} | ${which} |`);
  }
  console.log("\n### Every finding\n\n| file | origin | findings |\n| --- | --- | --- |");
  for (const file of files) {
    if (file.findings.length === 0) continue;
    const list = file.findings
      .map(
        (f) =>
          `${f.location.line}:${f.location.column} ${f.severity} ${f.code}: ${f.message}${f.suggestion ? ` (${f.suggestion})` : ""}`,
      )
      .map(markdownEscape)
      .join("<br>");
    console.log(`| ${file.path} | ${markdownEscape(file.origin)} | ${list} |`);
  }
}

function printConformance(checks: ConformanceCheck[]): void {
  console.log("\nconformance:");
  for (const check of checks) {
    console.log(`  ${check.problems.length === 0 ? "ok  " : "FAIL"} ${check.name}`);
    for (const problem of check.problems) console.log(`       ${problem}`);
  }
}

async function main(): Promise<number> {
  // `npm run corpus | head` closes the pipe early: that is the reader being done, not a failure.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(0);
    throw error;
  });
  let values: { markdown?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      options: { markdown: { type: "boolean" } },
      allowPositionals: true,
    }));
  } catch (error) {
    console.error(
      `railyard corpus: ${(error as Error).message} (usage: npm run corpus -- [DIR] [--markdown])`,
    );
    return 2;
  }
  if (positionals.length > 1) {
    console.error("railyard corpus: one corpus folder at most (usage: npm run corpus -- [DIR] [--markdown])");
    return 2;
  }
  const dir = findCorpusDir(positionals[0]);
  if (dir === undefined) {
    console.error(`railyard corpus: ${NO_CORPUS_MESSAGE}`);
    return 2;
  }
  let files: CorpusFile[];
  try {
    files = await runCorpus(dir);
  } catch (error) {
    if (error instanceof CorpusMissingError) {
      console.error(`railyard corpus: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (values.markdown) {
    printMarkdown(files);
    return 0;
  }
  printText(files);
  const checks = checkConformance(dir, files);
  printConformance(checks);
  const failed = checks.filter((check) => check.problems.length > 0).length;
  console.log(
    failed === 0 ? `\n${checks.length} checks held` : `\n${failed} of ${checks.length} checks failed`,
  );
  return failed === 0 ? 0 : 1;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  process.exitCode = await main();
