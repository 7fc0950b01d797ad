// `npx tsx emulator/src/cli.ts --state emulator/examples/stack.json --repo .`
// Starts the emulator, prints its URL, and stops every child process on SIGINT/SIGTERM.

import { parseArgs } from "node:util";
import { NO_LATENCY, REMOTE_LATENCY, StateFileError, startEmulator } from "./index.ts";

const USAGE =
  "usage: emulator --state <file.json> [--repo <git repo, default .>] [--port <n, default 0>] " +
  "[--runner process|simulated] [--work-dir <dir>] [--simulated-duration-ms <n>] [--rate-limit-per-hour <n>] " +
  "[--latency none|remote] [--request-latency-ms <n>] [--subscription-latency-ms <n>] [--rate-limit-per-second <n>] [--quiet]";

async function main(): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      options: {
        state: { type: "string" },
        repo: { type: "string", default: "." },
        port: { type: "string", default: "0" },
        runner: { type: "string", default: "process" },
        "work-dir": { type: "string" },
        "simulated-duration-ms": { type: "string" },
        "rate-limit-per-hour": { type: "string" },
        "rate-limit-per-second": { type: "string" },
        latency: { type: "string", default: "none" },
        "request-latency-ms": { type: "string" },
        "subscription-latency-ms": { type: "string" },
        quiet: { type: "boolean", default: false },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (error) {
    console.error(`emulator: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (typeof values.state !== "string") {
    console.error(`emulator: --state is required\n${USAGE}`);
    return 2;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`emulator: --port must be an integer from 0 to 65535, got "${values.port}"`);
    return 2;
  }
  if (values.runner !== "process" && values.runner !== "simulated") {
    console.error(`emulator: --runner must be "process" or "simulated", got "${values.runner}"`);
    return 2;
  }
  const duration =
    values["simulated-duration-ms"] === undefined ? undefined : Number(values["simulated-duration-ms"]);
  if (duration !== undefined && !(Number.isFinite(duration) && duration >= 0)) {
    console.error("emulator: --simulated-duration-ms must be a number of milliseconds");
    return 2;
  }
  const budget =
    values["rate-limit-per-hour"] === undefined ? undefined : Number(values["rate-limit-per-hour"]);
  if (budget !== undefined && !(Number.isInteger(budget) && budget > 0)) {
    console.error("emulator: --rate-limit-per-hour must be a positive integer");
    return 2;
  }
  if (values.latency !== "none" && values.latency !== "remote") {
    console.error(`emulator: --latency must be "none" or "remote", got "${values.latency}"`);
    return 2;
  }
  const latency = { ...(values.latency === "remote" ? REMOTE_LATENCY : NO_LATENCY) };
  for (const [flag, key] of [
    ["request-latency-ms", "requestMs"],
    ["subscription-latency-ms", "subscriptionMessageMs"],
  ] as const) {
    if (values[flag] === undefined) continue;
    const ms = Number(values[flag]);
    if (!(Number.isFinite(ms) && ms >= 0)) {
      console.error(`emulator: --${flag} must be a number of milliseconds, got "${values[flag]}"`);
      return 2;
    }
    latency[key] = ms;
  }
  const perSecond =
    values["rate-limit-per-second"] === undefined ? undefined : Number(values["rate-limit-per-second"]);
  if (perSecond !== undefined && !(Number.isInteger(perSecond) && perSecond > 0)) {
    console.error("emulator: --rate-limit-per-second must be a positive integer");
    return 2;
  }
  const quiet = values.quiet === true;
  let emulator: Awaited<ReturnType<typeof startEmulator>>;
  try {
    emulator = await startEmulator({
      state: values.state,
      repoDir: String(values.repo),
      port,
      runner: values.runner,
      ...(typeof values["work-dir"] === "string" ? { workDir: values["work-dir"] } : {}),
      ...(duration !== undefined ? { simulatedDurationMs: duration } : {}),
      ...(budget !== undefined ? { rateLimitPerHour: budget } : {}),
      ...(perSecond !== undefined ? { rateLimitPerSecond: perSecond } : {}),
      latency,
      log: quiet ? undefined : (line) => console.error(`emulator: ${line}`),
    });
  } catch (error) {
    console.error(`emulator: ${error instanceof StateFileError ? error.message : (error as Error).message}`);
    return 1;
  }
  console.log(`Railway emulator listening on ${emulator.url} (GraphQL: ${emulator.graphqlUrl})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      console.error(`emulator: ${signal}: stopping every deployment`);
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await emulator.stop();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    console.error(`emulator: ${error.message}`);
    process.exit(1);
  },
);
