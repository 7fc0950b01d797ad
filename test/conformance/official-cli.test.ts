// Conformance with Railway's official CLI: every operation it sends for up, status, variables,
// redeploy, domain, config plan and config apply (official-cli-operations.ts) validates against
// the emulator's SDL and Railway's schema, and a running emulator answers each command's
// sequence, in order, with real ids, with no errors and with answers Railway's schema allows
// (schema-answer.ts). Behaviour is checked along the way (a variable set is listed, then gone
// after its delete; a deleted domain is no longer listed; an applied change set shows in the
// environment config).

import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { buildSchema, type GraphQLSchema, parse, validate } from "graphql";
import { createClient } from "graphql-ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type RunningEmulator, startEmulator } from "../../emulator/src/index.ts";
import { repoDir } from "../client/support.ts";
import { CORE_COMMANDS, type Command, commands, type Ids, operations } from "./official-cli-operations.ts";
import { answerProblems, replaySchema } from "./schema-answer.ts";

const TOKEN = "conformance-account-token";
const real = replaySchema(
  JSON.parse(readFileSync(resolve(repoDir, "test/data/railway/schema.json"), "utf8")),
);
const ours: GraphQLSchema = buildSchema(readFileSync(resolve(repoDir, "emulator/schema.graphql"), "utf8"));

let emulator: RunningEmulator;
let ids: Ids;

beforeAll(async () => {
  emulator = await startEmulator({
    repoDir,
    runner: "simulated",
    simulatedDurationMs: 800,
    state: {
      projects: [
        {
          id: "proj-shop",
          name: "shop",
          workspace: { id: "ws-acme", name: "Acme" },
          buckets: [{ id: "bucket-assets", name: "assets" }],
          environments: [
            { id: "env-production", name: "production" },
            { id: "env-pr", name: "pr", isEphemeral: true },
          ],
          sharedVariables: { production: { REGION: "eu" } },
          services: [
            {
              id: "svc-db",
              name: "Postgres",
              external: true,
              variables: { production: { DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/shop" } },
            },
            {
              id: "svc-web",
              name: "web",
              source: { repo: "acme/shop" },
              settings: { startCommand: "node server.js", cronSchedule: "*/15 * * * *", numReplicas: 2 },
              variables: { production: { DATABASE_URL: "${{ Postgres.DATABASE_URL }}" } },
              volumes: [{ id: "vol-data", name: "web-data", mountPath: "/data" }],
              triggers: [{ environment: "production", branch: "main" }],
            },
          ],
        },
      ],
      tokens: [{ kind: "account", token: TOKEN, projects: ["proj-shop"] }],
    },
  });
  ids = {
    projectId: "proj-shop",
    projectName: "shop",
    environmentId: "env-production",
    serviceId: "svc-web",
    deploymentId: "",
    customDomainName: "shop.conformance.example",
    changeSet: variableChange("IAC_FLAG", "from-config-plan"),
    environmentPatch: {
      services: { "svc-web": { deploy: { numReplicas: 3 }, variables: { EDIT_FLAG: { value: "edited" } } } },
    },
  };
  ids.deploymentId = await upload();
  await settle();
});

afterAll(async () => {
  await emulator?.stop();
});

/** A change set as the CLI's IaC engine builds it for one variable (src/iac/change_set.rs). */
function variableChange(variable: string, value: string) {
  return {
    version: 1,
    diagnostics: [],
    changes: [
      {
        kind: "variable.set",
        address: "service.web",
        variable,
        after: { type: "literal", value },
        path: `resources.service.web.variables.${variable}`,
        summary: `Set variable web.${variable}`,
        severity: "safe",
        deployEffect: "deploy",
      },
    ],
  };
}

/** As the CLI does: wait 500 ms before subscribing to a fresh deployment. */
const settle = () => new Promise((r) => setTimeout(r, 500));

async function post(document: string, variables: Record<string, unknown>, operationName: string) {
  const response = await fetch(emulator.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}` },
    body: JSON.stringify({ query: document, variables, operationName }),
  });
  return (await response.json()) as { data?: unknown; errors?: { message: string }[] };
}

/** The first payload of a subscription, as the CLI's streams read them. */
async function firstEvent(document: string, variables: Record<string, unknown>, operationName: string) {
  const ws = createClient({
    url: emulator.graphqlUrl.replace(/^http/, "ws"),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${TOKEN}` },
    retryAttempts: 0,
  });
  try {
    return await new Promise<{ data?: unknown; errors?: readonly { message: string }[] }>((done, fail) => {
      const stop = ws.subscribe(
        { query: document, variables, operationName },
        {
          next: (result) => {
            stop();
            done(result as { data?: unknown; errors?: readonly { message: string }[] });
          },
          error: (error) => fail(error instanceof Error ? error : new Error(JSON.stringify(error))),
          complete: () => fail(new Error(`${operationName}: the subscription ended without an event`)),
        },
      );
    });
  } finally {
    await ws.dispose();
  }
}

/** `railway up`'s upload: a gzip tarball POSTed to /project/{id}/environment/{id}/up. */
async function upload(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "railyard-conformance-"));
  try {
    writeFileSync(
      join(dir, "server.js"),
      "require('node:http').createServer((q, s) => s.end('ok')).listen(process.env.PORT);\n",
    );
    execFileSync("tar", ["-czf", join(dir, "src.tar.gz"), "-C", dir, "server.js"]);
    const response = await fetch(
      `${emulator.url}/project/${ids.projectId}/environment/${ids.environmentId}/up?serviceId=${ids.serviceId}`,
      {
        method: "POST",
        headers: { "content-type": "application/gzip", authorization: `Bearer ${TOKEN}` },
        body: readFileSync(join(dir, "src.tar.gz")),
      },
    );
    expect(response.status).toBe(200);
    return ((await response.json()) as { deploymentId: string }).deploymentId;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Answer = { data?: unknown; errors?: readonly { message: string }[] };

// Answers were checked against Railway's schema in run() before they are read here.
// biome-ignore lint/suspicious/noExplicitAny: a checked answer read field by field
type Loose = any;
const data = (answer: Answer) => answer.data as Record<string, Loose>;

/** What later operations of a sequence need from earlier answers (the CLI keeps the same). */
const captures: Record<string, (a: Answer) => void> = {
  ServiceDomainCreate: (a) => {
    ids.serviceDomainId = data(a).serviceDomainCreate.id;
    ids.serviceDomainName = data(a).serviceDomainCreate.domain;
  },
  CustomDomainCreate: (a) => {
    ids.customDomainId = data(a).customDomainCreate.id;
  },
  IacEnvironmentConfig: (a) => {
    ids.configEtag = data(a).environment.configEtag;
  },
  IacApplyChangeSet: (a) => {
    ids.changeSetApplyId = data(a).environmentApplyChangeSet.id;
  },
};

/** Sends one operation with ids from the emulator's state; the problems with its answer ([] when it conforms). */
async function send(key: string): Promise<{ answer: Answer; problems: string[] }> {
  const op = operations[key];
  if (!op) throw new Error(`no operation ${key} in the fixture`);
  const variables = op.variables(ids);
  const kind = parse(op.document).definitions[0];
  const answer =
    kind?.kind === "OperationDefinition" && kind.operation === "subscription"
      ? await firstEvent(op.document, variables, op.name)
      : await post(op.document, variables, op.name);
  const problems: string[] = [];
  if (op.expectedError) {
    if (!answer.errors?.some((e) => op.expectedError?.test(e.message)))
      problems.push(`expected an error matching ${op.expectedError}, got ${JSON.stringify(answer)}`);
  } else if (op.rejectedByRailway) {
    // Railway rejects it naming the field, which is what the CLI's fallback looks for.
    if (!answer.errors?.some((e) => op.rejectedByRailway?.test(e.message)))
      problems.push(`expected an error naming ${op.rejectedByRailway}, got ${JSON.stringify(answer)}`);
  } else {
    if (answer.errors?.length) problems.push(...answer.errors.map((e) => `error: ${e.message}`));
    else problems.push(...answerProblems(real, op.document, variables, answer.data));
  }
  if (problems.length === 0) captures[key]?.(answer);
  return { answer, problems };
}

async function run(key: string): Promise<Answer> {
  const { answer, problems } = await send(key);
  expect(problems, `${key} (${operations[key]?.source})`).toEqual([]);
  return answer;
}

describe("the official CLI's operations", () => {
  it("every one validates against the emulator's SDL and Railway's schema (bar the one Railway rejects too)", () => {
    for (const [key, op] of Object.entries(operations)) {
      const document = parse(op.document);
      const againstReal = validate(real, document).map((e) => e.message);
      const againstOurs = validate(ours, document).map((e) => e.message);
      if (op.rejectedByRailway) {
        expect(
          againstReal.some((m) => op.rejectedByRailway?.test(m)),
          key,
        ).toBe(true);
        expect(
          againstOurs.some((m) => op.rejectedByRailway?.test(m)),
          key,
        ).toBe(true);
      } else {
        expect(againstReal, `${key} against Railway's schema`).toEqual([]);
        expect(againstOurs, `${key} against the emulator's SDL`).toEqual([]);
      }
    }
    const used = new Set(Object.values(commands).flat());
    expect(Object.keys(operations).filter((k) => !used.has(k))).toEqual([]);
  });
});

describe("each command's sequence against a running emulator", () => {
  const sequence = async (
    command: Command,
    after: Record<string, (a: Answer) => void | Promise<void>> = {},
  ) => {
    for (const key of commands[command]) {
      const answer = await run(key);
      await after[key]?.(answer);
    }
  };

  it("up: project, upload, build logs and deployment subscriptions, status poll", async () => {
    await run("Project");
    ids.deploymentId = await upload();
    await settle();
    await sequence("up", {
      Deployment: (a) => expect(data(a).deployment.id).toBe(ids.deploymentId),
    });
  });

  it("status", async () => {
    await sequence("status", {
      Project: (a) => {
        expect(data(a).project.workspace).toEqual({ name: "Acme" });
        expect(data(a).project.environments.edges.map((e: Loose) => e.node.canAccess)).toEqual([true, true]);
      },
      UserProjects: (a) => {
        const [workspace] = data(a).me.workspaces;
        expect(workspace.name).toBe("Acme");
        expect(workspace.projects.edges.map((e: Loose) => e.node.name)).toEqual(["shop"]);
      },
      EnvironmentInstances: (a) => {
        const web = data(a).environment.serviceInstances.edges.find(
          (e: Loose) => e.node.serviceId === "svc-web",
        );
        expect(web.node.latestDeployment.id).toBe(ids.deploymentId);
        expect(web.node.nextCronRunAt).not.toBeNull();
        expect(data(a).environment.volumeInstances.edges[0].node).toMatchObject({
          mountPath: "/data",
          volume: { id: "vol-data", name: "web-data" },
        });
      },
    });
  });

  it("variables: list, set, delete", async () => {
    let lists = 0;
    await sequence("variables", {
      VariablesForServiceDeployment: (a) => {
        const vars = data(a).variablesForServiceDeployment;
        expect(vars.DATABASE_URL).toBe("postgresql://postgres@127.0.0.1:5432/shop");
        // The second list (before `variable delete`) sees what --set wrote.
        expect(vars.CONFORMANCE_FLAG).toBe(lists++ === 0 ? undefined : "on");
      },
    });
    const after = await post(
      operations.VariablesForServiceDeployment?.document as string,
      operations.VariablesForServiceDeployment?.variables(ids) ?? {},
      "VariablesForServiceDeployment",
    );
    expect(data(after).variablesForServiceDeployment.CONFORMANCE_FLAG).toBeUndefined();
  });

  it("redeploy: the latest deployment, then from the latest commit", async () => {
    // The CLI refuses to redeploy a deployment that is still building: let the upload finish.
    for (let i = 0; i < 100; i++) {
      const status = data(await run("DeploymentStatus")).deployment.status;
      if (status === "SUCCESS") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await sequence("redeploy", {
      EnvironmentInstances: (a) => {
        const web = data(a).environment.serviceInstances.edges.find(
          (e: Loose) => e.node.serviceId === "svc-web",
        );
        // Before the first redeploy the upload's deployment is done; before the second, the redeploy runs.
        expect(web.node.latestDeployment.canRedeploy).toBe(web.node.latestDeployment.status === "SUCCESS");
      },
      DeploymentRedeploy: (a) => expect(data(a).deploymentRedeploy.id).not.toBe(ids.deploymentId),
      ServiceInstanceDeployLatestCommit: (a) => expect(data(a).serviceInstanceDeploy).toBe(true),
    });
    const latest = await post(
      "query LatestDeployment($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) { latestDeployment { meta } } }",
      { e: ids.environmentId, s: ids.serviceId },
      "LatestDeployment",
    );
    expect(data(latest).serviceInstance.latestDeployment.meta).toMatchObject({
      reason: "deploy",
      branch: expect.any(String),
    });
  });

  it("domain: create, status, update, certificate retry, delete", async () => {
    let domainsRead = 0;
    await sequence("domain", {
      ServiceDomainCreate: (a) => {
        const created = data(a).serviceDomainCreate;
        expect(created.targetPort).toBe(8080);
        expect(created.domain).toMatch(/^web-production-[0-9a-f]{4}\./);
      },
      CustomDomainCreate: (a) => {
        const created = data(a).customDomainCreate;
        expect(created.status.verified).toBe(false);
        expect(created.status.dnsRecords[0]).toMatchObject({
          recordType: "DNS_RECORD_TYPE_CNAME",
          fqdn: ids.customDomainName,
        });
      },
      Domains: (a) => {
        domainsRead++;
        const d = data(a).domains;
        const service = d.serviceDomains.find((x: Loose) => x.id === ids.serviceDomainId);
        const custom = d.customDomains.find((x: Loose) => x.id === ids.customDomainId);
        // The reads after update, update, delete, delete (see the sequence in the fixture).
        if (domainsRead === 4) expect(service.targetPort).toBe(9090);
        if (domainsRead === 6) expect(custom.targetPort).toBe(3000);
        if (domainsRead === 10) expect(service).toBeUndefined();
        if (domainsRead === 12) expect(custom).toBeUndefined();
      },
    });
    expect(domainsRead).toBe(12);
  });

  it("config plan, then config apply: the change set is previewed, applied against the etag and followed", async () => {
    const value = `apply-${randomUUID()}`;
    ids.changeSet = variableChange("IAC_FLAG", value);
    await sequence("config plan", {
      IacPreviewChangeSet: (a) =>
        expect(data(a).environmentPreviewChangeSet.changeSet.changes).toHaveLength(1),
    });
    await sequence("config apply", {
      IacChangeSetApplyStatus: (a) =>
        expect(data(a).environmentChangeSetApply.changes).toMatchObject([{ kind: "variable.set" }]),
    });
    const config = await post(
      operations.IacEnvironmentConfig?.document as string,
      { environmentId: ids.environmentId, decryptVariables: true },
      "IacEnvironmentConfig",
    );
    expect(data(config).environment.config.services["svc-web"].variables.IAC_FLAG).toEqual({ value });
  });

  it("environment edit: staged, then committed at once", async () => {
    await sequence("environment edit", {
      EnvironmentStageChanges: (a) => expect(data(a).environmentStageChanges.status).toBe("STAGED"),
    });
    const instance = await post(
      "query Web($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) { numReplicas } }",
      { e: ids.environmentId, s: ids.serviceId },
      "Web",
    );
    expect(data(instance).serviceInstance.numReplicas).toBe(3);
  });

  it("answers every operation of every command as Railway's schema allows (N of M)", async () => {
    const problems = new Map<string, string[]>(Object.keys(operations).map((k) => [k, []]));
    for (const command of Object.keys(commands) as Command[]) {
      for (const key of commands[command]) problems.get(key)?.push(...(await send(key)).problems);
    }
    const failing = [...problems.entries()].filter(([, p]) => p.length > 0);
    const core = new Set(CORE_COMMANDS.flatMap((c) => commands[c]));
    const coreFailing = failing.filter(([key]) => core.has(key)).length;
    console.info(
      `official CLI conformance: ${core.size - coreFailing} of ${core.size} operations of up, status, variables, redeploy, domain, config plan/apply answered; ${problems.size - failing.length} of ${problems.size} with environment edit`,
    );
    expect(Object.fromEntries(failing)).toEqual({});
  });
});
