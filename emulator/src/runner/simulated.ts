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
      sink.deployLog(`simulated start of ${spec.serviceName}`);
    });
    at(duration, () => {
      if (fault === "healthcheck-never-passes") {
        sink.event("HEALTHCHECK", "FAILED", "Healthcheck failed: the service never answered");
        sink.status("FAILED");
        return;
      }
      if (outcome === "SUCCESS" || fault === "crash-after-healthy") sink.event("HEALTHCHECK", "SUCCEEDED");
      else sink.event("HEALTHCHECK", "FAILED", `simulated outcome ${outcome}`);
      sink.status(fault === "crash-after-healthy" ? "SUCCESS" : outcome);
    });
    if (fault === "crash-after-healthy") {
      at(duration + (spec.fault?.afterMs ?? Math.max(50, Math.round(duration * 0.5))), () => {
        sink.deployLog("simulated crash: process exited with code 1", "error");
        sink.status("CRASHED");
      });
    }
    return { stop: async () => {} };
  }

  async close(): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }
}
