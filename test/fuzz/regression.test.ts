// Replays the fuzzer's regression corpus (test/fixtures/fuzz/) and a short deterministic fuzz
// run through the config path's invariants. A fixture fails here until the bug it records is fixed.
// Everything here is inside the repository: the fuzz run seeds from the repository's own configs
// (the public corpus seeds only `npm run fuzz -- --corpus DIR`).

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../action/src/config/index.ts";
import {
  ConfigPathRunner,
  loadFixtures,
  loadSeeds,
  MUTATIONS,
  makeInput,
  Random,
  runFuzz,
} from "./fuzzer.ts";
import { acceptedBadNames, findingViolations, resultViolations, settingsViolations } from "./invariants.ts";

describe("the name and path rules of issue 13", () => {
  test("the invariants flag a control character in a name or message, a climbing pattern or Dockerfile", () => {
    const valid = (name: string, dependsOn: string[] = []) => ({
      findings: [],
      services: [{ name, dependsOn }],
    });
    expect(acceptedBadNames(valid("api\n::error::x"))).toHaveLength(1);
    expect(acceptedBadNames(valid("api", ["db\u001b[31m"]))).toHaveLength(1);
    expect(acceptedBadNames(valid("User Data DB"))).toEqual([]);
    expect(settingsViolations("api", { watchPatterns: ["/../x/**"] })).toHaveLength(1);
    expect(
      settingsViolations("api", { rootDirectory: "/backend", dockerfilePath: "../../Dockerfile" }),
    ).toHaveLength(1);
    expect(
      settingsViolations("api", { rootDirectory: "/backend", dockerfilePath: "../docker/Dockerfile" }),
    ).toEqual([]);
    const lines = new Map([["railway.toml", 3]]);
    const at = { file: "railway.toml", line: 1, column: 1 };
    expect(findingViolations({ severity: "error", message: "a\nb", location: at }, lines)).toHaveLength(1);
    expect(findingViolations({ severity: "error", message: "a\\nb", location: at }, lines)).toEqual([]);
  });

  test("every input the new mutations make from a valid config is a config error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "railyard-fuzz-rules-"));
    try {
      const random = new Random(13);
      for (let i = 0; i < 40; i++) {
        const mutation = i % 2 === 0 ? MUTATIONS.controlCharName : MUTATIONS.badPath;
        const content = (mutation as NonNullable<typeof mutation>)(
          Buffer.from("[services.api]\n"),
          random,
          [],
        );
        writeFileSync(join(dir, "railway.toml"), content);
        const result = await loadConfig({ repoDir: dir, environment: "production", checkFilesystem: false });
        const text = content.toString("utf8");
        // The typo is a warning (validate), every other one an error.
        const expected = text.includes("prodution") ? "warning" : "error";
        expect(
          result.findings.map((f) => f.severity),
          text,
        ).toContain(expected);
        expect(resultViolations(result, new Map([["railway.toml", text.split("\n").length]])), text).toEqual(
          [],
        );
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("invariant checks", () => {
  const lines = new Map([["railway.toml", 3]]);
  const good = {
    severity: "error",
    code: "x",
    message: "bad value",
    location: { file: "railway.toml", line: 2, column: 1 },
  };

  test("accept a positioned finding with a message", () => {
    expect(findingViolations(good, lines)).toEqual([]);
  });

  test("reject line 0, column 0, a line past the end, an empty file and an empty message", () => {
    expect(
      findingViolations({ ...good, location: { file: "railway.toml", line: 0, column: 1 } }, lines),
    ).toHaveLength(1);
    expect(
      findingViolations({ ...good, location: { file: "railway.toml", line: 1, column: 0 } }, lines),
    ).toHaveLength(1);
    expect(
      findingViolations({ ...good, location: { file: "railway.toml", line: 9, column: 1 } }, lines),
    ).toHaveLength(1);
    expect(findingViolations({ ...good, location: { file: "", line: 1, column: 1 } }, lines)).toHaveLength(1);
    expect(findingViolations({ ...good, message: "  " }, lines)).toHaveLength(1);
  });

  test("reject a message carrying a stack trace", () => {
    const message = "TypeError: x is undefined\n    at parse (file:///action/src/config/parse.ts:10:5)";
    expect(findingViolations({ ...good, message }, lines)[0]).toMatch(/stack trace/);
  });

  test("reject a message that is a JavaScript internal error", () => {
    const message = "TOML syntax error: Maximum call stack size exceeded";
    expect(findingViolations({ ...good, message }, lines)[0]).toMatch(/internal error/);
  });

  test("reject a message that dumps a huge value", () => {
    const message = `unknown key \`${"k".repeat(5000)}\` at the top level`;
    expect(findingViolations({ ...good, message }, lines)[0]).toMatch(/characters long/);
  });

  test("reject a result without findings or services", () => {
    expect(resultViolations({ services: [] }, lines)).toEqual(["loadConfig result has no findings array"]);
    expect(resultViolations({ findings: [] }, lines)).toEqual(["loadConfig result has no services array"]);
  });
});

describe("input generation", () => {
  test("seeds from the repository's own configs only, unless given a corpus", () => {
    const { seeds, notes } = loadSeeds();
    expect(notes).toEqual([]);
    const names = seeds.map((seed) => seed.name);
    expect(names).toContain("backend/railway.toml");
    expect(names).toContain("test/fixtures/config/valid/all-fields.json");
    expect(names.filter((name) => name.startsWith("corpus/") || name.startsWith(".."))).toEqual([]);
    expect(seeds.filter((seed) => seed.format === "json").length).toBeGreaterThan(5);
  });

  test("is deterministic for a seed", () => {
    const { seeds } = loadSeeds();
    const first = Array.from(
      { length: 20 },
      (
        (random) => () =>
          makeInput(random, seeds)
      )(new Random(42)),
    );
    const second = Array.from(
      { length: 20 },
      (
        (random) => () =>
          makeInput(random, seeds)
      )(new Random(42)),
    );
    expect(second.map((input) => input.content.toString("base64"))).toEqual(
      first.map((input) => input.content.toString("base64")),
    );
    expect(new Set(first.map((input) => input.recipe.join())).size).toBeGreaterThan(1);
  });
});

describe("regression corpus", () => {
  const fixtures = loadFixtures();
  let runner: ConfigPathRunner;
  beforeAll(() => {
    runner = new ConfigPathRunner(5000);
  });
  afterAll(() => runner.close());

  test.each(
    fixtures.map(
      (fixture) => [fixture.name, (fixture.note.violations[0] ?? "").slice(0, 140), fixture] as const,
    ),
  )("%s (found: %s) keeps every invariant", async (_name, _found, fixture) => {
    const verdict = await runner.check(fixture.input);
    expect(verdict.answer?.unavailable).toBeUndefined();
    expect(verdict.violations).toEqual([]);
  });
});

test("a 300-input fuzz run with a fixed seed keeps every invariant", async () => {
  const stats = await runFuzz({ iterations: 300, seed: 20261124, timeoutMs: 5000 });
  expect(stats.unavailable).toBeUndefined();
  expect(stats.iterations).toBe(300);
  expect(stats.failures.map((failure) => failure.violations[0])).toEqual([]);
}, 300_000);
