// The conformance logic of `npm run corpus`, on a four-file stand-in for the public corpus
// (test/fixtures/corpus/, written for this repository). The real corpus run is a separate
// command: the corpus is other people's code and not part of the repository.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import {
  type ConformanceMinimums,
  CorpusMissingError,
  checkConformance,
  findCorpusDir,
  runCorpus,
} from "../../scripts/corpus.ts";

const repoRoot = resolve(import.meta.dirname, "../..");
const mini = join(repoRoot, "test/fixtures/corpus");
const miniMinimums: ConformanceMinimums = { files: 4, parsed: 4, flagged: 2, lowercase: 1 };
const scratch = mkdtempSync(join(tmpdir(), "railyard-corpus-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A copy of the stand-in corpus whose index says something else for one file. */
function withIndexNote(file: string, notes: string): string {
  const dir = mkdtempSync(join(scratch, "copy-"));
  cpSync(mini, dir, { recursive: true });
  const index = readFileSync(join(dir, "index.tsv"), "utf8")
    .split("\n")
    .map((row) => (row.startsWith(`${file}\t`) ? [...row.split("\t").slice(0, 4), notes].join("\t") : row))
    .join("\n");
  writeFileSync(join(dir, "index.tsv"), index);
  return dir;
}

const problemsOf = async (dir: string, minimums = miniMinimums) =>
  Object.fromEntries(checkConformance(dir, await runCorpus(dir), minimums).map((c) => [c.name, c.problems]));

describe("the corpus conformance checks", () => {
  test("hold on a corpus whose index agrees with the validator", async () => {
    const files = await runCorpus(mini);
    expect(files.map((file) => file.path)).toEqual([
      "toml/001.toml",
      "toml/002.toml",
      "json/003.json",
      "json/004.json",
    ]);
    expect(files.find((file) => file.path === "toml/002.toml")?.origin).toBe(
      "example/nested-table railway.toml",
    );
    const checks = checkConformance(mini, files, miniMinimums);
    expect(checks).toHaveLength(4);
    for (const check of checks) expect(check.problems, check.name).toEqual([]);
  });

  test("name a file the validator rejects although the index calls it clean", async () => {
    const problems = await problemsOf(withIndexNote("toml/002.toml", "ok"));
    expect(
      problems["rejects exactly the files whose index notes list a real mistake or an undocumented key"],
    ).toEqual([
      "only 1 files with a real mistake in the index, expected at least 2",
      "toml/002.toml: index [], validator unknown-key",
    ]);
  });

  test("name a file the index flags but the validator accepts", async () => {
    const problems = await problemsOf(withIndexNote("json/004.json", "unknown-key:deploy.something"));
    expect(
      problems["rejects exactly the files whose index notes list a real mistake or an undocumented key"],
    ).toEqual(['json/004.json: index ["unknown-key:deploy.something"], validator ']);
  });

  test("name an error on a documented field that the index does not allow", async () => {
    // 003's index no longer lists the DOCKER builder as the file's mistake.
    const problems = await problemsOf(withIndexNote("json/003.json", "unknown-key:build.context"));
    expect(problems["never flags a documented field in a documented form"]).toEqual([
      expect.stringMatching(/^json\/003\.json: bad-enum: `build\.builder` must be one of/),
    ]);
  });

  test("fail on a corpus too small to mean anything", async () => {
    const checks = checkConformance(mini, await runCorpus(mini));
    expect(checks.map((check) => check.problems[0])).toEqual([
      "only 4 files, expected at least 100",
      "only 4 files parsed, expected at least 180",
      "only 2 files with a real mistake in the index, expected at least 40",
      "only 1 files with lower-case enum values, expected at least 20",
    ]);
  });

  test("say clearly when the corpus folder is missing", async () => {
    const nowhere = join(scratch, "no-such-corpus");
    await expect(runCorpus(nowhere)).rejects.toThrow(CorpusMissingError);
    await expect(runCorpus(nowhere)).rejects.toThrow(
      `the Railway config corpus is missing: ${nowhere} does not exist`,
    );
  });
});

describe("the corpus folder", () => {
  const sibling = join(scratch, "sibling-corpus");
  test("is the one given, else RAILYARD_CORPUS_DIR, else the sibling copy when it exists", () => {
    expect(findCorpusDir("given", { RAILYARD_CORPUS_DIR: "/env" }, mini)).toBe(resolve("given"));
    expect(findCorpusDir(undefined, { RAILYARD_CORPUS_DIR: "/env" }, mini)).toBe("/env");
    expect(findCorpusDir(undefined, {}, mini)).toBe(mini);
    expect(findCorpusDir(undefined, {}, sibling)).toBeUndefined();
  });
});

describe("npm run corpus", () => {
  const corpus = (...args: string[]) =>
    spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "scripts/corpus.ts"), ...args], {
      cwd: repoRoot,
      encoding: "utf8",
      env: { ...process.env, RAILYARD_CORPUS_DIR: "" },
    });

  test("prints the findings and fails the checks on a corpus too small to mean anything", () => {
    const run = corpus(mini);
    expect(run.stderr).toBe("");
    expect(run.stdout).toContain("toml/002.toml:8:9 error unknown-key: unknown key `railway` in [deploy]");
    expect(run.stdout).toContain("4 files: 2 clean, 0 with warnings only, 2 with errors");
    expect(run.stdout).toContain("FAIL the corpus is present\n       only 4 files, expected at least 100");
    expect(run.stdout).toContain("4 of 4 checks failed");
    expect(run.status).toBe(1);
  });

  test("says which folder is missing, with exit code 2 and no stack trace", () => {
    const run = corpus(join(scratch, "nowhere"));
    expect(run.stderr.trim()).toBe(
      `railyard corpus: the Railway config corpus is missing: ${join(scratch, "nowhere")} does not exist (give the folder that holds toml/, json/ and index.tsv)`,
    );
    expect(run.status).toBe(2);
  });

  test("rejects two folders as bad usage", () => {
    const run = corpus(mini, mini);
    expect(run.stderr).toMatch(/^railyard corpus: one corpus folder at most/);
    expect(run.status).toBe(2);
  });
});
