// Fuzzes the config path: `npx tsx scripts/fuzz.ts --iterations 2000 --seed 7 [--timeout-ms 5000] [--no-save]
// [--corpus DIR]`. Seeds: the repository's own configs, plus the public corpus of real configs from
// --corpus, else RAILYARD_CORPUS_DIR, else ../shared/railway/corpus when it exists.
// Each distinct kind of broken invariant is minimized and saved to test/fixtures/fuzz/ (the
// regression corpus that test/fuzz/regression.test.ts replays). Exit code 1 when anything failed.
import { existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { runFuzz, saveFailure } from "../test/fuzz/fuzzer.ts";
import { findCorpusDir } from "./corpus.ts";

function fail(message: string): never {
  console.error(`railyard fuzz: ${message}`);
  process.exit(2);
}

const { values } = (() => {
  try {
    return parseArgs({
      options: {
        iterations: { type: "string", default: "1000" },
        seed: { type: "string", default: String(Date.now() % 2 ** 31) },
        "timeout-ms": { type: "string", default: "5000" },
        "no-save": { type: "boolean", default: false },
        json: { type: "boolean", default: false },
        corpus: { type: "string" },
      },
    });
  } catch (error) {
    fail((error as Error).message);
  }
})();

const positiveInteger = (name: string, text: string): number => {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) fail(`--${name} must be a non-negative integer, got "${text}"`);
  return value;
};
const iterations = positiveInteger("iterations", values.iterations);
const seed = positiveInteger("seed", values.seed);
const timeoutMs = positiveInteger("timeout-ms", values["timeout-ms"]);
const corpusDir = findCorpusDir(values.corpus);
if (values.corpus !== undefined && !existsSync(values.corpus))
  fail(`--corpus ${values.corpus} does not exist`);

const stats = await runFuzz({
  iterations,
  seed,
  timeoutMs,
  ...(corpusDir === undefined ? {} : { corpusDir }),
  onProgress: (done, current) => {
    if (!values.json && done % 250 === 0)
      console.error(`  ${done}/${iterations} inputs, ${current.failures.length} distinct failures`);
  },
});

const saved = values["no-save"] ? [] : stats.failures.map((failure) => saveFailure(failure, seed));
if (values.json) {
  console.log(
    JSON.stringify({
      iterations: stats.iterations,
      seed,
      valid: stats.valid,
      invalid: stats.invalid,
      slow: stats.slow,
      seedCount: stats.seedCount,
      elapsedMs: stats.elapsedMs,
      kinds: stats.kinds,
      saved,
      unavailable: stats.unavailable ?? null,
    }),
  );
} else {
  if (corpusDir === undefined)
    console.log(
      "note: no corpus (--corpus DIR or RAILYARD_CORPUS_DIR): seeding from the repository's configs only",
    );
  for (const note of stats.seedNotes) console.log(`note: ${note}`);
  if (stats.unavailable) console.log(`config path unavailable: ${stats.unavailable}`);
  console.log(
    `${stats.iterations} inputs (seed ${seed}, ${stats.seedCount} seed files) in ${(stats.elapsedMs / 1000).toFixed(1)} s: ` +
      `${stats.valid} valid, ${stats.invalid} with errors, ${stats.slow} slow (timed out once, then answered), ${stats.failures.length} distinct invariant failures`,
  );
  for (const [kind, count] of Object.entries(stats.kinds)) console.log(`  ${count}× ${kind}`);
  for (const [index, failure] of stats.failures.entries()) {
    console.log(
      `\n${saved[index] ? `test/fixtures/fuzz/${saved[index]}` : "(not saved)"} (${failure.input.path}, ${failure.input.content.length} bytes):`,
    );
    for (const violation of failure.violations.slice(0, 5)) console.log(`  ${violation}`);
  }
}
process.exit(stats.unavailable ? 2 : stats.failures.length > 0 ? 1 : 0);
