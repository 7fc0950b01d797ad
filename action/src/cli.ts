#!/usr/bin/env node
// The terminal front door: `railyard validate [files]`, `railyard plan|deploy|redeploy ...`.
// Same settings and core as the action; prints a report for a person. Exit codes:
// 0 success, 1 the run failed (config, variables, deploy, smoke), 2 bad usage or input.
import { realpathSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { formatFindings } from "./config/index.ts";
import { InputError, readSettings } from "./inputs.ts";
import { describeEvent, interruptOnSignals, runSession } from "./pipeline/session.ts";
import { printable } from "./report/escape.ts";
import { terminalReport } from "./report/render.ts";

const USAGE = `usage:
  railyard validate [files...]
  railyard plan|deploy|redeploy --project <id> [--environment production] [--services a,b|all]
           [--endpoint URL] [--timeout-minutes 30] [--concurrency all|N] [--no-rollback] [--delete-undeclared] [--no-smoke]
           [--browser-path PATH|auto|none] [--stability-seconds 20] [--api-url URL] [--frontend-url URL]
           [--commit SHA] [--repo DIR] [--config-files a,b] [--service-configs web=apps/web/railway.toml]
  The token comes from RAILWAY_TOKEN (project token) or RAILWAY_API_TOKEN (account token).`;

/** The CLI's name for each action input whose flag is spelled differently. */
const FLAG_OF_INPUT: Record<string, string> = {
  "railway-token": "RAILWAY_TOKEN",
  "project-id": "--project",
  "commit-sha": "--commit",
  "working-directory": "--repo",
  rollback: "--no-rollback",
  smoke: "--no-smoke",
};

export async function cli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    console.error(`railyard: ${printable((error as Error).message)}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const command = positionals[0];
  if (values.help || !command) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  if (!["validate", "plan", "deploy", "redeploy"].includes(command)) {
    console.error(`railyard: unknown command ${printable(JSON.stringify(command))}\n${USAGE}`);
    return 2;
  }
  const files =
    command === "validate" && positionals.length > 1
      ? positionals.slice(1).join(",")
      : values["config-files"];
  const inputs: Record<string, string | undefined> = {
    mode: command,
    "railway-token": env.RAILWAY_TOKEN || env.RAILWAY_API_TOKEN,
    "project-id": values.project ?? env.RAILWAY_PROJECT_ID,
    environment: values.environment,
    services: values.services,
    endpoint: values.endpoint ?? env.RAILWAY_ENDPOINT,
    "timeout-minutes": values["timeout-minutes"],
    "smoke-timeout-minutes": values["smoke-timeout-minutes"],
    concurrency: values.concurrency,
    rollback: values["no-rollback"] ? "false" : undefined,
    "delete-undeclared": values["delete-undeclared"] ? "true" : undefined,
    smoke: values["no-smoke"] ? "false" : undefined,
    "browser-path": values["browser-path"],
    "stability-seconds": values["stability-seconds"],
    "api-url": values["api-url"],
    "frontend-url": values["frontend-url"],
    "commit-sha": values.commit,
    "config-files": files,
    "service-configs": values["service-configs"],
    "working-directory": values.repo,
  };
  let settings: ReturnType<typeof readSettings>;
  try {
    settings = readSettings((name) => inputs[name] ?? "");
  } catch (error) {
    if (error instanceof InputError) {
      const flag = FLAG_OF_INPUT[error.input] ?? `--${error.input}`;
      console.error(`railyard: ${flag}: ${printable(error.message.replace(/^input [^:]+: /, ""))}`);
      return 2;
    }
    throw error;
  }
  if (settings.tokenTrimmed)
    console.error(
      "railyard: the Railway token had whitespace around it (a trailing newline?); it was removed before use",
    );
  const signal = interruptOnSignals((name) =>
    console.error(`railyard: ${name}: stopping; no new deployment starts (again to quit at once)`),
  );
  const result = await runSession(settings, process.cwd(), {
    signal,
    emit: (event) => console.error(describeEvent(event)),
    log: values.verbose ? (message) => console.error(`   railway: ${printable(message)}`) : undefined,
  });
  if (result.findings.length > 0)
    console.log(formatFindings(result.findings, { color: process.stdout.isTTY }));
  if (command === "validate") {
    if (!result.ok && result.findings.length === 0) console.error(`railyard: ${printable(result.reason)}`);
    return result.ok ? 0 : (result.exitCode ?? 1);
  }
  console.log(terminalReport(result));
  return result.ok ? 0 : (result.exitCode ?? 1);
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      project: { type: "string" },
      environment: { type: "string" },
      services: { type: "string" },
      endpoint: { type: "string" },
      "timeout-minutes": { type: "string" },
      "smoke-timeout-minutes": { type: "string" },
      concurrency: { type: "string" },
      "no-rollback": { type: "boolean" },
      "delete-undeclared": { type: "boolean" },
      "no-smoke": { type: "boolean" },
      "browser-path": { type: "string" },
      "stability-seconds": { type: "string" },
      "api-url": { type: "string" },
      "frontend-url": { type: "string" },
      commit: { type: "string" },
      repo: { type: "string" },
      "config-files": { type: "string" },
      "service-configs": { type: "string" },
      verbose: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

function invokedDirectly(): boolean {
  try {
    // npm's bin links point at the bundle through a symlink.
    return !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}
if (invokedDirectly() || process.env.RAILYARD_CLI === "1") {
  cli(process.argv.slice(2), process.env).then(
    (code) => process.exit(code),
    (error) => {
      console.error(`railyard: unexpected error: ${printable((error as Error).message)}`);
      process.exit(1);
    },
  );
}
