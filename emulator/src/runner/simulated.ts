// A runner that runs no process: each deployment goes QUEUED → BUILDING → DEPLOYING → outcome
// after a fixed duration. For scale benchmarks and client tests, where what matters is the
// API's behaviour, not the service. Honours spec.simulate and spec.fault.

import type { DeploymentRunner, DeploymentSink, DeploymentSpec, RunningDeployment } from "./types.ts";

export interface SimulatedRunnerOptions {
  /** Time from start to the terminal status (default 2 s); spec.simulate.durationMs wins. */
  durationMs?: number;
}

export class SimulatedRunner implements DeploymentRunner {
  readonly #durationMs: number;
  readonly #domains = new Map<string, string>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(options: SimulatedRunnerOptions = {}) {
    this.#durationMs = options.durationMs ?? 2_000;
  }

  async serviceDomain(serviceId: string, environmentId: string): Promise<string> {
    const key = `${serviceId}/${environmentId}`;
    let domain = this.#domains.get(key);
    if (!domain) {
      // Simulated services listen nowhere: the name says so rather than pointing at a real port.
      domain = `simulated-${this.#domains.size + 1}.railyard.localhost`;
      this.#domains.set(key, domain);
    }
    return domain;
  }

  start(spec: DeploymentSpec, sink: DeploymentSink, signal: AbortSignal): RunningDeployment {
    const duration = spec.simulate?.durationMs ?? this.#durationMs;
    const fault = spec.fault?.kind;
    let outcome = spec.simulate?.outcome ?? "SUCCESS";
    if (fault === "build-fails" || fault === "healthcheck-never-passes") outcome = "FAILED";
    const at = (ms: number, step: () => void) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        if (!signal.aborted) step();
      }, ms);
      this.#timers.add(timer);
    };
    const buildEnd = Math.round(duration * 0.5);
    at(0, () => {
      sink.status("BUILDING");
      sink.event("BUILD_IMAGE", "STARTED");
      sink.buildLog(
        `simulated ${spec.settings.builder ?? "RAILPACK"} build of ${spec.serviceName} (${spec.commitSha?.slice(0, 7) ?? "upload"})`,
      );
    });
    if (fault === "build-fails") {
      at(buildEnd, () => {
        sink.buildLog("simulated build failure: exit code 1", "error");
        sink.event("BUILD_IMAGE", "FAILED", "Build failed: the build command exited with code 1");
        sink.status("FAILED");
      });
      return { stop: async () => {} };
    }
    at(buildEnd, () => {
      sink.event("BUILD_IMAGE", "SUCCEEDED");
      sink.status("DEPLOYING");
      sink.event("CREATE_CONTAINER", "STARTED");
      sink.event("CREATE_CONTAINER", "SUCCEEDED");
      sink.event("HEALTHCHECK", "STARTED");
      sink.instance?.("INITIALIZING");
      sink.deployLog(`simulated start of ${spec.serviceName}`);
    });
    at(duration, () => {
      if (fault === "healthcheck-never-passes") {
        sink.event("HEALTHCHECK", "FAILED", "Healthcheck failed: the service never answered");
        sink.instance?.("STOPPED");
        sink.status("FAILED");
        return;
      }
      const crashes = fault === "crash-after-healthy" || fault === "crash-loop";
      if (outcome === "SUCCESS" || crashes) sink.event("HEALTHCHECK", "SUCCEEDED");
      else sink.event("HEALTHCHECK", "FAILED", `simulated outcome ${outcome}`);
      const status = crashes ? "SUCCESS" : outcome;
      sink.instance?.(status === "SUCCESS" ? "RUNNING" : status === "CRASHED" ? "CRASHED" : "STOPPED");
      sink.status(status);
    });
    const crashAfter = spec.fault?.afterMs ?? Math.max(50, Math.round(duration * 0.5));
    if (fault === "crash-after-healthy") {
      at(duration + crashAfter, () => {
        sink.deployLog("simulated crash: process exited with code 1", "error");
        sink.instance?.("CRASHED");
        sink.status("CRASHED");
      });
    }
    if (fault === "crash-loop") {
      // Crashes and is restarted again and again: Railway keeps the deployment at SUCCESS.
      let restarts = 0;
      const crash = (after: number) =>
        at(after, () => {
          restarts += 1;
          sink.deployLog(
            `simulated crash: process exited with code 1; restarting (restart ${restarts})`,
            "error",
          );
          sink.instance?.("CRASHED");
          sink.instance?.("RESTARTING");
          at(Math.max(20, Math.round(crashAfter / 4)), () => {
            sink.instance?.("INITIALIZING");
            sink.instance?.("RUNNING");
            if (restarts < 1000) crash(crashAfter);
          });
        });
      crash(duration + crashAfter);
    }
    return { stop: async () => {} };
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
