// Conformance against real public railway.toml / railway.json files
// (../shared/railway/corpus): documented fields in documented forms are never flagged,
// and the files the validator rejects are exactly those the corpus index says hold a
// real mistake or a key Railway does not document.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { type CorpusFile, CorpusMissingError, corpusDir, runCorpus } from "../../../scripts/corpus.ts";
import { validateConfigText } from "./index.ts";

const fixtures = fileURLToPath(new URL("../../../test/fixtures/config/", import.meta.url));
const documented = JSON.parse(readFileSync(join(fixtures, "documented-fields.json"), "utf8")) as {
  build: string[];
  deploy: string[];
};
const dir = corpusDir();
const missing = `the Railway config corpus is missing: ${dir} does not exist (set RAILYARD_CORPUS_DIR to its location)`;

/** The corpus index's flags for a file, without `lowercase-enum` (Railway documents lower case). */
function indexFlags(file: CorpusFile): string[] {
  const [flags = ""] = file.notes.split("|");
  return flags
    .split(";")
    .map((flag) => flag.trim())
    .filter((flag) => flag !== "" && flag !== "ok" && !flag.startsWith("lowercase-enum"));
}

/** Only the documented keys of a Config-as-Code file; everything undocumented removed. */
function documentedPart(data: unknown): Record<string, unknown> {
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

describe("the public Railway config corpus", () => {
  let files: CorpusFile[] = [];

  beforeAll(async () => {
    if (existsSync(dir)) files = await runCorpus(dir);
  });

  it("is present", () => {
    expect(existsSync(dir), missing).toBe(true);
    expect(files.length, missing).toBeGreaterThan(100);
  });

  it("never flags a documented field in a documented form", async () => {
    expect(existsSync(dir), missing).toBe(true);
    const unexpected: string[] = [];
    let checked = 0;
    for (const file of files) {
      const text = readFileSync(join(dir, file.path), "utf8");
      const parsed = validateConfigText(file.path, text, { checkFilesystem: false });
      if (parsed.file.data === undefined) continue;
      checked += 1;
      const onlyDocumented = JSON.stringify(documentedPart(parsed.file.data), null, 2);
      // The value mistakes the index lists on documented keys (DOCKER, on-failure, a
      // table where a string belongs) are the only errors allowed on documented keys.
      const allowed = indexFlags(file)
        .filter((flag) => flag.startsWith("invalid-enum:") || flag.startsWith("type:"))
        .map((flag) => flag.replace(/^[a-z-]+:/, "").replace(/[=].*$/, ""));
      for (const finding of validateConfigText("railway.json", onlyDocumented, { checkFilesystem: false })
        .findings) {
        if (finding.severity !== "error") continue;
        const path = /^`([^`]+)`/.exec(finding.message)?.[1] ?? "";
        if (!allowed.includes(path)) unexpected.push(`${file.path}: ${finding.code}: ${finding.message}`);
      }
    }
    expect(checked).toBeGreaterThan(180);
    expect(unexpected).toEqual([]);
  });

  it("rejects exactly the files whose index notes list a real mistake or an undocumented key", () => {
    expect(existsSync(dir), missing).toBe(true);
    const disagreements = files
      .filter(
        (file) =>
          indexFlags(file).length > 0 !== file.findings.some((finding) => finding.severity === "error"),
      )
      .map(
        (file) =>
          `${file.path}: index ${JSON.stringify(indexFlags(file))}, validator ${file.findings.map((f) => f.code).join(",")}`,
      );
    expect(disagreements).toEqual([]);
    expect(files.filter((file) => indexFlags(file).length > 0).length).toBeGreaterThan(40);
  });

  it("says clearly when the corpus folder is missing", async () => {
    const nowhere = join(fixtures, "no-such-corpus");
    await expect(runCorpus(nowhere)).rejects.toThrow(CorpusMissingError);
    await expect(runCorpus(nowhere)).rejects.toThrow(
      `the Railway config corpus is missing: ${nowhere} does not exist`,
    );
  });

  it("accepts lower-case enum values, which Railway's docs use", () => {
    const lowercase = files.filter(
      (file) => file.notes.includes("lowercase-enum") && indexFlags(file).length === 0,
    );
    expect(lowercase.length).toBeGreaterThan(20);
    for (const file of lowercase)
      expect(
        file.findings.filter((f) => f.code === "bad-enum"),
        file.path,
      ).toEqual([]);
  });
});
