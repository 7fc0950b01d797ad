import { ConfigError, isRole, loadRoleConfig, ROLES, type Role, type RoleConfig } from "./config.ts";
import { ShutdownRequested, StartupError, withTimeout } from "./errors.ts";
import { createLogger, describeError, type Logger } from "./log.ts";
import type { RunningRole } from "./roles/role.ts";

// The container's entry point: CONTAINER_ROLE picks the role, the environment is
// validated once, and SIGTERM (Railway's stop signal) drains the role before exit 0.

async function startRole(config: RoleConfig, log: Logger, signal: AbortSignal): Promise<RunningRole> {
  switch (config.role) {
    case "api":
      return (await import("./roles/api.ts")).start(config, log, signal);
    case "data-poller":
      return (await import("./roles/data-poller.ts")).start(config, log, signal);
    case "trading-engine":
      return (await import("./roles/trading-engine.ts")).start(config, log, signal);
  }
}

function fail(message: string): number {
  process.stderr.write(`railyard-backend: ${message}\n`);
  return 1;
}

async function main(): Promise<number> {
  const roleName = process.env.CONTAINER_ROLE?.trim();
  if (!isRole(roleName)) {
    const got = roleName ? `got ${JSON.stringify(roleName.slice(0, 40))}` : "it is missing";
    return fail(`CONTAINER_ROLE must be one of: ${ROLES.join(", ")} (${got})`);
  }
  const role: Role = roleName;
  let config: RoleConfig;
  try {
    config = loadRoleConfig(role, process.env);
  } catch (error) {
    if (error instanceof ConfigError) return fail(error.message);
    throw error;
  }
  const log = createLogger({ service: role, level: config.logLevel, secrets: config.secrets });

  const startup = new AbortController();
  let stopRequested: (signal: string) => void = () => undefined;
  const stopSignal = new Promise<string>((resolve) => {
    stopRequested = resolve;
  });
  for (const name of ["SIGTERM", "SIGINT"] as const) {
    process.on(name, () => {
      startup.abort();
      stopRequested(name);
    });
  }

  log.info("starting", {
    commit: config.commit,
    railwayService: config.serviceName,
    railwayEnvironment: config.environmentName,
  });
  let running: RunningRole;
  try {
    running = await startRole(config, log, startup.signal);
  } catch (error) {
    if (error instanceof ShutdownRequested) {
      log.info("stopped_during_startup");
      return 0;
    }
    if (error instanceof StartupError) {
      log.error("startup_failed", { variable: error.variable, message: error.message });
      return fail(`${role} cannot start: ${error.message}`);
    }
    throw error;
  }
  log.info("ready");

  const signalName = await stopSignal;
  const began = Date.now();
  log.info("shutdown_started", { signal: signalName, timeoutMs: config.shutdownTimeoutMs });
  try {
    await withTimeout(running.stop(), config.shutdownTimeoutMs, "shutdown");
  } catch (error) {
    log.error("shutdown_incomplete", describeError(error));
    return 1;
  }
  log.info("shutdown_complete", { tookMs: Date.now() - began });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    const { code, message } = describeError(error);
    process.stderr.write(`railyard-backend: unexpected error${code ? ` (${code})` : ""}: ${message}\n`);
    process.exit(1);
  },
);
