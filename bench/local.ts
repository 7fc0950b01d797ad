// `npm run local -- --exit` broken down by stage: the command runs as a user runs it (install,
// databases, emulator, then the pipeline's stages on the real services: builds, processes,
// smoke test) and each stage's time is read from outside, from when its first line appears to
// when the next stage's does. Stage markers: the script's "railyard local: …" lines and the
// pipeline's "── <stage>" lines (whatever the script prints; nothing here is a fixed list).
// Prints one JSON object.  Run: npx tsx bench/local.ts
import { spawn } from "node:child_process";
import { join } from "node:path";

const ROOT = join(import.meta.dirname, "..");
const TIMEOUT_MS = 15 * 60_000;

interface Mark {
  stage: string;
  atMs: number;
}

function stageOf(line: string): string | undefined {
  const pipeline = /^── (\S+)/.exec(line.trim());
  if (pipeline) return `pipeline: ${pipeline[1]}`;
  const local = /^railyard local: (.*)$/.exec(line.trim());
  if (!local) return undefined;
  const text = local[1] ?? "";
  // The first words name the step ("installing what is missing …", "created databases …").
  if (/^install/i.test(text)) return "install";
  if (/^created databases/i.test(text)) return "databases";
  if (/^emulator at/i.test(text)) return "emulator";
  if (/^stopping/i.test(text)) return "stop";
  return text.split(/[ :(]/).slice(0, 2).join(" ");
}

const started = performance.now();
const marks: Mark[] = [];
let reportAt: number | undefined;
const child = spawn(process.execPath, [join(ROOT, "scripts/local.mjs"), "--exit"], {
  cwd: ROOT,
  stdio: ["ignore", "pipe", "pipe"],
  env: process.env,
});
let buffered = "";
const onData = (chunk: Buffer) => {
  const at = performance.now() - started;
  buffered += chunk.toString("utf8");
  const lines = buffered.split("\n");
  buffered = lines.pop() ?? "";
  for (const line of lines) {
    process.stderr.write(`${line}\n`);
    const stage = stageOf(line);
    if (stage && marks.at(-1)?.stage !== stage) marks.push({ stage, atMs: at });
    // The report's first line follows the last pipeline stage.
    if (reportAt === undefined && /^railyard: /.test(line.trim())) reportAt = at;
  }
};
child.stdout.on("data", onData);
child.stderr.on("data", onData);
const timer = setTimeout(() => child.kill("SIGTERM"), TIMEOUT_MS);
const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
clearTimeout(timer);
const totalMs = performance.now() - started;

const stages = marks.map((mark, i) => {
  const next = marks[i + 1]?.atMs ?? totalMs;
  return {
    stage: mark.stage,
    startMs: Math.round(mark.atMs),
    seconds: Math.round((next - mark.atMs) / 100) / 10,
  };
});
console.log(
  JSON.stringify({
    benchmark: "local",
    command: "node scripts/local.mjs --exit",
    exitCode: code,
    totalSeconds: Math.round(totalMs / 100) / 10,
    stages,
    notes: [
      "Each stage runs from its first line to the next stage's first line; 'stop' includes stopping the services and dropping the databases.",
      "The pipeline runs with the inputs scripts/local.mjs gives it (real builds and processes, real PostgreSQL and Redis, the smoke test).",
    ],
  }),
);
if (code !== 0) process.exit(1);
