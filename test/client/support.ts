// Shared fixture of the client tests: an emulator on a random loopback port with the
// simulated runner, a small project whose tokens and variable values are random per run,
// and a client whose every log line is captured (to prove no secret leaks).

import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { RailwayClient, type RailwayClientOptions } from "../../action/src/railway/client.ts";
import { type RunningEmulator, startEmulator } from "../../emulator/src/index.ts";
import type { EmulatorStateFile } from "../../emulator/src/state-file.ts";

export const repoDir = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const headSha = execFileSync("git", ["-C", repoDir, "rev-parse", "HEAD"], { encoding: "utf8" }).trim();

const secret = (label: string) => `${label}-${randomBytes(12).toString("hex")}`;

export interface Fixture {
  emulator: RunningEmulator;
  tokens: {
    account: string;
    project: string;
    prProject: string;
    otherProjectOnly: string;
    readOnly: string;
  };
  /** Every secret of the fixture: tokens and variable values. */
  secrets: string[];
  /** Every line any client of the fixture logged, and every error text seen. */
  captured: string[];
  projectId: string;
  otherProjectId: string;
  production: string;
  pr: string;
  /** Deployable service ids (svc-0 … svc-{n-1}). */
  services: string[];
  client(options?: Partial<RailwayClientOptions> & { token?: string }): RailwayClient;
  stop(): Promise<void>;
}

export async function startFixture(
  options: { services?: number; durationMs?: number; rateLimitPerHour?: number } = {},
): Promise<Fixture> {
  const count = options.services ?? 3;
  const tokens = {
    account: secret("acct"),
    project: secret("proj"),
    prProject: secret("projpr"),
    otherProjectOnly: secret("other"),
    readOnly: secret("readonly"),
  };
  const dbPassword = secret("dbpass");
  const apiKey = secret("apikey");
  const sharedKey = secret("sharedkey");
  const services = Array.from({ length: count }, (_, i) => `svc-${i}`);
  const state: EmulatorStateFile = {
    ...(options.rateLimitPerHour ? { rateLimitPerHour: options.rateLimitPerHour } : {}),
    projects: [
      {
        id: "proj-main",
        name: "main",
        environments: [
          { id: "env-production", name: "production" },
          { id: "env-pr", name: "pr", isEphemeral: true },
        ],
        sharedVariables: { production: { SHARED_KEY: sharedKey } },
        services: [
          {
            id: "svc-db",
            name: "Postgres",
            external: true,
            variables: {
              production: { DATABASE_URL: `postgresql://postgres:${dbPassword}@127.0.0.1:5432/app` },
            },
          },
          ...services.map((id, i) => ({
            id,
            name: i === 0 ? "api" : `worker-${i}`,
            source: { repo: "railyard/railyard" },
            settings: { rootDirectory: "/backend", overlapSeconds: 0 },
            variables: {
              production: {
                API_KEY: apiKey,
                DATABASE_URL: "${{ Postgres.DATABASE_URL }}",
                SHARED: "${{ shared.SHARED_KEY }}",
                MISSING: "${{ Nowhere.THING }}",
                SELF_DOMAIN: "${{ RAILWAY_PUBLIC_DOMAIN }}",
              },
            },
            triggers: i === 0 ? [{ environment: "production", branch: "main", checkSuites: true }] : [],
          })),
        ],
      },
      {
        id: "proj-other",
        name: "other",
        environments: [{ id: "env-other", name: "production" }],
        services: [{ id: "svc-other", name: "web", source: { repo: "someone/else" } }],
      },
    ],
    tokens: [
      { kind: "account", token: tokens.account, projects: ["proj-main", "proj-other"] },
      { kind: "project", token: tokens.project, project: "proj-main", environment: "production" },
      { kind: "project", token: tokens.prProject, project: "proj-main", environment: "pr" },
      { kind: "account", token: tokens.otherProjectOnly, projects: ["proj-other"] },
      { kind: "account", token: tokens.readOnly, projects: ["proj-main"], readOnly: true },
    ],
  };
  const captured: string[] = [];
  const emulator = await startEmulator({
    state,
    repoDir,
    runner: "simulated",
    simulatedDurationMs: options.durationMs ?? 600,
    log: (line) => captured.push(line),
  });
  const clients: RailwayClient[] = [];
  return {
    emulator,
    tokens,
    secrets: [...Object.values(tokens), dbPassword, apiKey, sharedKey],
    captured,
    projectId: "proj-main",
    otherProjectId: "proj-other",
    production: "env-production",
    pr: "env-pr",
    services,
    client(overrides = {}) {
      const { token, ...rest } = overrides;
      const c = new RailwayClient({
        endpoint: emulator.graphqlUrl,
        token: token ?? tokens.account,
        retry: { baseDelayMs: 20, maxDelayMs: 200 },
        log: (line) => captured.push(line),
        ...rest,
      });
      clients.push(c);
      return c;
    },
    async stop() {
      await Promise.all(clients.map((c) => c.close()));
      await emulator.stop();
    },
  };
}

/** Runs `work`, expecting a rejection; records the error's text for the leak check and returns the error. */
export async function failure<T extends Error>(fixture: Fixture, work: Promise<unknown>): Promise<T> {
  try {
    await work;
  } catch (error) {
    const e = error as Error;
    fixture.captured.push(`${e.name}: ${e.message}`, String(e.stack ?? ""), JSON.stringify(e));
    return e as T;
  }
  throw new Error("expected the call to fail, and it succeeded");
}

export function leakedSecrets(fixture: Fixture): string[] {
  const text = fixture.captured.join("\n");
  return fixture.secrets.filter((s) => text.includes(s));
}
