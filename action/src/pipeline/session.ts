// What both front doors do between reading settings and printing: build the Railway client
// with secret masking wired in, run the pipeline, release the client.
import { resolve } from "node:path";
import { pipelineOptions, type Settings } from "../inputs.ts";
import { RailwayClient } from "../railway/client.ts";
import { printable, printableDeep } from "../report/escape.ts";
import { runPipeline } from "./run.ts";
import type { PipelineEvent, PipelineResult } from "./types.ts";

export interface SessionHooks {
  /** Called with the token and every variable value the client reads (core.setSecret). */
  onSecret?: (value: string) => void;
  emit?: (event: PipelineEvent) => void;
  /** Client diagnostics (retries, fallbacks), already redacted. */
  log?: (message: string) => void;
  branch?: string;
  /** Aborted on SIGINT/SIGTERM by the front door. */
  signal?: AbortSignal;
}

export async function runSession(
  settings: Settings,
  baseDir: string,
  hooks: SessionHooks = {},
): Promise<PipelineResult> {
  const repoDir = resolve(baseDir, settings.workingDirectory);
  const client =
    settings.mode === "validate" || !settings.token
      ? undefined
      : new RailwayClient({
          endpoint: settings.endpoint,
          token: settings.token,
          tokenKind: "auto",
          onSecret: hooks.onSecret,
          log: hooks.log,
        });
  try {
    const options = pipelineOptions(settings, repoDir, hooks.branch);
    if (hooks.signal) options.signal = hooks.signal;
    return await runPipeline(options, {
      api: client,
      emit: hooks.emit,
    });
  } finally {
    await client?.close();
  }
}

/** One line per event; every field printable (user and Railway text cannot start a line). */
export function describeEvent(raw: PipelineEvent): string {
  const event = printableDeep(raw);
  switch (event.kind) {
    case "stage":
      return `── ${event.stage}`;
    case "info":
      return event.message;
    case "warning":
      return `warning: ${event.message}`;
    case "deployment":
      return `   ${event.service}: ${event.status} (${event.deploymentId})`;
    default:
      return printable(JSON.stringify(event));
  }
}

/**
 * The first SIGINT/SIGTERM aborts the run: no new deployment starts, deployments not yet
 * building are cancelled, waiting stops, and the report says what is live, cancelled and
 * unknown. The same signal again (Ctrl-C twice) exits at once. A different one (GitHub's runner
 * sends SIGINT, then SIGTERM 7.5 s later, then SIGKILL) lets the report finish, but exits after
 * `graceMs` whatever happens.
 */
export function interruptOnSignals(
  onFirst: (signal: string) => void,
  options: { graceMs?: number; onGiveUp?: (signal: string) => void } = {},
): AbortSignal {
  const controller = new AbortController();
  let first: NodeJS.Signals | undefined;
  const handler = (signal: NodeJS.Signals) => {
    const code = signal === "SIGINT" ? 130 : 143;
    if (!first) {
      first = signal;
      onFirst(signal);
      controller.abort();
      return;
    }
    if (signal === first) process.exit(code);
    const timer = setTimeout(() => {
      options.onGiveUp?.(signal);
      process.exit(code);
    }, options.graceMs ?? 2_000);
    timer.unref();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return controller.signal;
}
