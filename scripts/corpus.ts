// Runs the config validator over the public corpus of real railway.toml / railway.json
// files (../shared/railway/corpus, or RAILYARD_CORPUS_DIR) and reports what it flags.
//   npx tsx scripts/corpus.ts             one line per flagged file, then a tally
//   npx tsx scripts/corpus.ts --markdown  the tables of docs/corpus-report.md

import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Finding, loadConfig } from "../action/src/config/index.ts";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..");

export function corpusDir(): string {
  return process.env.RAILYARD_CORPUS_DIR ?? resolve(repoRoot, "../shared/railway/corpus");
}

export interface CorpusFile {
  /** Corpus-relative path, e.g. "toml/001.toml". */
  path: string;
  /** Where it came from, e.g. "0-Zt/crypto-dashboard-backend railway.toml". */
  origin: string;
  /** The corpus index's notes for the file. */
  notes: string;
  findings: Finding[];
}

export class CorpusMissingError extends Error {
  constructor(readonly dir: string) {
    super(
      `the Railway config corpus is missing: ${dir} does not exist (set RAILYARD_CORPUS_DIR to its location)`,
    );
    this.name = "CorpusMissingError";
  }
}

function readIndex(dir: string): Map<string, { origin: string; notes: string }> {
  const index = new Map<string, { origin: string; notes: string }>();
  const path = join(dir, "index.tsv");
  if (!existsSync(path)) return index;
  const [, ...rows] = readFileSync(path, "utf8").split("\n");
  for (const row of rows) {
    const [file, repo, , origin, notes] = row.split("\t");
    if (file) index.set(file, { origin: `${repo} ${origin}`, notes: notes ?? "" });
  }
  return index;
}

/** Validates each corpus file on its own (they come from different repositories). */
export async function runCorpus(dir = corpusDir()): Promise<CorpusFile[]> {
  if (!existsSync(dir)) throw new CorpusMissingError(dir);
  const index = readIndex(dir);
  const files: CorpusFile[] = [];
  for (const kind of ["toml", "json"]) {
    const folder = join(dir, kind);
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder).sort()) {
      const path = `${kind}/${name}`;
      // The corpus has the config files only, not the repositories: skip Dockerfile checks.
      const config = await loadConfig({ repoDir: dir, files: [path], checkFilesystem: false });
      const entry = index.get(path);
      files.push({ path, origin: entry?.origin ?? "", notes: entry?.notes ?? "", findings: config.findings });
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

async function main(): Promise<void> {
  let files: CorpusFile[];
  try {
    files = await runCorpus();
  } catch (error) {
    if (error instanceof CorpusMissingError) {
      console.error(`railyard corpus: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  if (process.argv.includes("--markdown")) printMarkdown(files);
  else printText(files);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
