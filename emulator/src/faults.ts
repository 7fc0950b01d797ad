// Faults on demand, for tests and benchmarks. Set programmatically (emulator.faults.add(...))
// or over HTTP: POST /_emulator/faults {"http": [...], "deployment": [...]} ; DELETE clears.
// HTTP faults apply to the GraphQL endpoint and the source upload; each fires `count` times.

export type HttpFault =
  /** Answer with this HTTP status (429 carries Retry-After). afterExecute: run the operation first, then fail. */
  | {
      kind: "status";
      status: 429 | 500 | 502 | 503 | 504;
      retryAfterSeconds?: number;
      afterExecute?: boolean;
      count?: number;
      operation?: string;
    }
  /** Answer only after this many milliseconds. */
  | { kind: "delay"; ms: number; count?: number; operation?: string }
  /** Destroy the socket without an answer; afterExecute: run the operation first (the ambiguous case). */
  | { kind: "drop"; afterExecute?: boolean; count?: number; operation?: string }
  /** Refuse WebSocket upgrades (subscriptions), forcing clients onto polling. */
  | { kind: "refuse-websocket"; count?: number };

export type DeploymentFaultKind =
  | "build-fails"
  | "crash-after-healthy"
  /** The instance crashes every second after SUCCESS and is restarted: the deployment stays SUCCESS. */
  | "crash-loop"
  | "healthcheck-never-passes"
  | "waiting"
  | "skipped"
  | "needs-approval"
  /** The new deployment reads as "Deployment not found" for `ms` after creation, as on Railway. */
  | "not-found-while-fresh";

/** Applies to the next `count` deployments of `service` (name or id; any service when absent). */
export interface DeploymentFault {
  kind: DeploymentFaultKind;
  service?: string;
  count?: number;
  /** not-found-while-fresh: how long the deployment stays invisible (default 1500 ms). */
  ms?: number;
  /** Lines the deployment prints to its build log first (e.g. a build that echoes its environment). */
  logLines?: string[];
}

/** The deployment faults a runner or the control plane acts on (not the visibility fault). */
export type RunFaultKind = Exclude<DeploymentFaultKind, "not-found-while-fresh">;

interface Armed<T> {
  fault: T;
  remaining: number;
}

export class Faults {
  #http: Armed<HttpFault>[] = [];
  #deployment: Armed<DeploymentFault>[] = [];

  add(faults: { http?: HttpFault[]; deployment?: DeploymentFault[] }): void {
    for (const f of faults.http ?? [])
      this.#http.push({ fault: validateHttpFault(f), remaining: f.count ?? 1 });
    for (const f of faults.deployment ?? []) {
      this.#deployment.push({ fault: validateDeploymentFault(f), remaining: f.count ?? 1 });
    }
  }

  clear(): void {
    this.#http = [];
    this.#deployment = [];
  }

  list(): {
    http: (HttpFault & { remaining: number })[];
    deployment: (DeploymentFault & { remaining: number })[];
  } {
    return {
      http: this.#http.map((a) => ({ ...a.fault, remaining: a.remaining })),
      deployment: this.#deployment.map((a) => ({ ...a.fault, remaining: a.remaining })),
    };
  }

  /** The first armed HTTP fault matching one of the request's operation names (operationName or root fields). */
  takeHttp(operations: string[]): Exclude<HttpFault, { kind: "refuse-websocket" }> | undefined {
    const armed = this.#http.find(
      (a) =>
        a.fault.kind !== "refuse-websocket" &&
        (a.fault.operation === undefined || operations.includes(a.fault.operation)),
    );
    if (!armed) return undefined;
    this.#consume(this.#http, armed);
    return armed.fault as Exclude<HttpFault, { kind: "refuse-websocket" }>;
  }

  takeWebSocketRefusal(): boolean {
    const armed = this.#http.find((a) => a.fault.kind === "refuse-websocket");
    if (!armed) return false;
    this.#consume(this.#http, armed);
    return true;
  }

  takeDeployment(serviceId: string, serviceName: string): RunFaultKind | undefined {
    return this.takeDeploymentFault(serviceId, serviceName)?.kind as RunFaultKind | undefined;
  }

  takeDeploymentFault(serviceId: string, serviceName: string): DeploymentFault | undefined {
    const armed = this.#deployment.find(
      (a) => a.fault.kind !== "not-found-while-fresh" && matches(a.fault, serviceId, serviceName),
    );
    if (!armed) return undefined;
    this.#consume(this.#deployment, armed);
    return armed.fault;
  }

  /** Milliseconds a new deployment of this service stays invisible to reads, when a fault asks. */
  takeInvisibility(serviceId: string, serviceName: string): number | undefined {
    const armed = this.#deployment.find(
      (a) => a.fault.kind === "not-found-while-fresh" && matches(a.fault, serviceId, serviceName),
    );
    if (!armed) return undefined;
    this.#consume(this.#deployment, armed);
    return armed.fault.ms ?? 1_500;
  }

  #consume<T>(list: Armed<T>[], armed: Armed<T>): void {
    armed.remaining--;
    if (armed.remaining <= 0) list.splice(list.indexOf(armed), 1);
  }
}

function matches(fault: DeploymentFault, serviceId: string, serviceName: string): boolean {
  return fault.service === undefined || fault.service === serviceId || fault.service === serviceName;
}

export class FaultError extends Error {
  override name = "FaultError";
}

function validateHttpFault(f: HttpFault): HttpFault {
  const kinds = ["status", "delay", "drop", "refuse-websocket"];
  if (!f || !kinds.includes((f as { kind: string }).kind)) {
    throw new FaultError(`http fault kind must be one of ${kinds.join(", ")}`);
  }
  if (f.kind === "status" && ![429, 500, 502, 503, 504].includes(f.status)) {
    throw new FaultError("http fault status must be 429, 500, 502, 503 or 504");
  }
  if (f.kind === "delay" && !(typeof f.ms === "number" && f.ms >= 0))
    throw new FaultError("delay fault needs ms >= 0");
  if (f.count !== undefined && !(Number.isInteger(f.count) && f.count > 0)) {
    throw new FaultError("fault count must be a positive integer");
  }
  return f;
}

const DEPLOYMENT_KINDS: DeploymentFaultKind[] = [
  "build-fails",
  "crash-after-healthy",
  "crash-loop",
  "healthcheck-never-passes",
  "waiting",
  "skipped",
  "needs-approval",
  "not-found-while-fresh",
];

function validateDeploymentFault(f: DeploymentFault): DeploymentFault {
  if (!f || !DEPLOYMENT_KINDS.includes(f.kind)) {
    throw new FaultError(`deployment fault kind must be one of ${DEPLOYMENT_KINDS.join(", ")}`);
  }
  if (
    f.logLines !== undefined &&
    !(Array.isArray(f.logLines) && f.logLines.every((l) => typeof l === "string"))
  ) {
    throw new FaultError("fault logLines must be an array of strings");
  }
  if (f.count !== undefined && !(Number.isInteger(f.count) && f.count > 0)) {
    throw new FaultError("fault count must be a positive integer");
  }
  if (f.ms !== undefined && !(typeof f.ms === "number" && f.ms >= 0)) {
    throw new FaultError("deployment fault ms must be a number >= 0");
  }
  return f;
}
