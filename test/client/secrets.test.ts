// Tokens and variable values never reach a log line, an error message or a thrown error's text.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RailwayApiError } from "../../action/src/railway/errors.ts";
import { REDACTED, SecretRegistry } from "../../action/src/railway/secrets.ts";
import { type Fixture, failure, headSha, leakedSecrets, startFixture } from "./support.ts";

describe("SecretRegistry", () => {
  it("redacts every registered value, longest first, also URL- and JSON-encoded and line by line", () => {
    const seen: string[] = [];
    const registry = new SecretRegistry((v) => seen.push(v));
    registry.add("p@ss word/1");
    registry.add("p@ss word/1-longer");
    registry.add("line-one\nline-two");
    registry.add("abc");
    // A multi-line value reaches the runner line by line; one too short to mask does not at all.
    expect(seen).toEqual(["p@ss word/1", "p@ss word/1-longer", "line-one", "line-two"]);
    expect(registry.redact("x p@ss word/1-longer y p@ss word/1 z")).toBe(`x ${REDACTED} y ${REDACTED} z`);
    expect(registry.redact("url p%40ss%20word%2F1")).toBe(`url ${REDACTED}`);
    expect(registry.redact('json "line-one\\nline-two"')).toBe(`json "${REDACTED}"`);
    expect(registry.redact("only line-two here")).toBe(`only ${REDACTED} here`);
    // Too short to redact without mangling every message: log lines holding it are withheld.
    expect(registry.redact("abc")).toBe("abc");
    expect(registry.redactLines(["abc here", "fine"])).toEqual([
      "[1 log line withheld: it holds a variable value too short or too common to mask]",
      "fine",
    ]);
  });
});

describe("the client against the emulator", () => {
  let fx: Fixture;
  const stdout: string[] = [];
  const originalWrite = {
    out: process.stdout.write.bind(process.stdout),
    err: process.stderr.write.bind(process.stderr),
  };
  beforeAll(async () => {
    fx = await startFixture({ durationMs: 200 });
    process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      stdout.push(String(chunk));
      return originalWrite.out(chunk, ...rest);
    }) as typeof process.stdout.write;
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
      stdout.push(String(chunk));
      return originalWrite.err(chunk, ...rest);
    }) as typeof process.stderr.write;
  });
  afterAll(async () => {
    process.stdout.write = originalWrite.out;
    process.stderr.write = originalWrite.err;
    await fx?.stop();
  });

  it("hands the token and every variable value read to onSecret, but Railway's public metadata", async () => {
    const masked: string[] = [];
    const client = fx.client({ token: fx.tokens.project, onSecret: (v) => masked.push(v) });
    const vars = await client.variablesForDeployment("proj-main", "env-production", "svc-0");
    expect(masked).toContain(fx.tokens.project);
    // Every RAILWAY_* variable of this fixture is Railway-provided metadata (names, ids, domains);
    // a user variable that renders to the same value (SELF_DOMAIN) is masked all the same.
    const userValues = Object.entries(vars).filter(([name]) => !name.startsWith("RAILWAY_"));
    for (const [name, value] of Object.entries(vars)) {
      if (value === "") continue;
      if (!name.startsWith("RAILWAY_")) expect(masked, name).toContain(value);
      else if (!userValues.some(([, v]) => v === value)) expect(masked, name).not.toContain(value);
    }
    expect(masked).not.toContain(vars.RAILWAY_SERVICE_NAME);
    expect(vars.RAILWAY_SERVICE_NAME).toBeTruthy();
    expect(Object.values(vars).some((v) => v.startsWith("apikey-"))).toBe(true);
  });

  it("masks a user's variable named like Railway's metadata; exempts only what Railway set", async () => {
    const writer = fx.client({ tokenKind: "account" });
    const userValue = `user-set-${fx.tokens.account.slice(-8)}.example.internal`;
    await writer.upsertVariables("proj-main", "env-production", "svc-2", {
      RAILWAY_SERVICE_API_URL: userValue,
    });
    fx.secrets.push(userValue);
    const masked: string[] = [];
    const client = fx.client({ tokenKind: "account", onSecret: (v) => masked.push(v) });
    const vars = await client.variablesForDeployment("proj-main", "env-production", "svc-2");
    expect(vars.RAILWAY_SERVICE_API_URL).toBe(userValue);
    expect(masked).toContain(userValue);
    expect(client.secrets.redact(`calling ${userValue}`)).toBe(`calling ${REDACTED}`);
    // Railway's own RAILWAY_SERVICE_NAME stays readable.
    expect(vars.RAILWAY_SERVICE_NAME).toBe("worker-2");
    expect(masked).not.toContain("worker-2");
    expect(client.secrets.redact("worker-2")).toBe("worker-2");
  });

  it("batched reads (variables of many services, their triggers) answer as one read per service would, in one request each, masked alike", async () => {
    const one = fx.client({ tokenKind: "account" });
    const masked: string[] = [];
    const many = fx.client({ tokenKind: "account", onSecret: (v) => masked.push(v) });
    const ids = ["svc-0", "svc-1", "svc-2"];
    const before = many.requestCount;
    const variables = await many.variablesForDeployments("proj-main", "env-production", ids);
    const triggers = await many.deploymentTriggersMany("proj-main", "env-production", ids);
    // Two requests for three services (the token check may add one, once).
    expect(many.requestCount - before).toBeLessThanOrEqual(3);
    for (const id of ids) {
      expect(variables.get(id)).toEqual(await one.variablesForDeployment("proj-main", "env-production", id));
      expect(triggers.get(id)).toEqual(await one.deploymentTriggers("proj-main", "env-production", id));
    }
    expect(triggers.get("svc-0")?.[0]?.checkSuites).toBe(true);
    // The same masking rule: user values masked (the user's RAILWAY_SERVICE_API_URL of svc-2
    // included), Railway's own metadata readable.
    const svc2 = variables.get("svc-2") ?? {};
    expect(masked).toContain(svc2.API_KEY);
    expect(masked).toContain(svc2.RAILWAY_SERVICE_API_URL);
    expect(masked).not.toContain("worker-2");
  });

  it("redacts a secret the server echoes in an error", async () => {
    const client = fx.client({ tokenKind: "account" });
    const vars = await client.variablesForDeployment("proj-main", "env-production", "svc-0");
    const apiKey = vars.API_KEY as string;
    // The emulator answers "Commit <sha> not found": here the "sha" is a secret value.
    const error = await failure<RailwayApiError>(fx, client.deployCommit("env-production", "svc-0", apiKey));
    expect(error).toBeInstanceOf(RailwayApiError);
    expect(error.message).toContain(`Commit ${REDACTED} not found`);
    expect(error.message).not.toContain(apiKey);
    expect(error.details.join(" ")).not.toContain(apiKey);
  });

  it("logs retries and fallbacks without secrets", async () => {
    const client = fx.client({ tokenKind: "account" });
    await client.upsertVariables("proj-main", "env-production", "svc-1", {
      PASSWORD: "upserted-secret-value-42",
    });
    fx.secrets.push("upserted-secret-value-42");
    fx.emulator.faults.add({
      http: [
        { kind: "status", status: 500, operation: "Variables" },
        { kind: "drop", operation: "Variables" },
        { kind: "refuse-websocket" },
      ],
    });
    expect((await client.variables("proj-main", "env-production", "svc-1")).PASSWORD).toBe(
      "upserted-secret-value-42",
    );
    const id = await client.deployCommit("env-production", "svc-1", headSha);
    await client.watchDeployments([id], {});
    expect(fx.captured.some((l) => l.includes("retrying"))).toBe(true);
    expect(fx.captured.some((l) => l.includes("polling instead"))).toBe(true);
  });

  it("nothing captured anywhere holds a secret: client logs, emulator logs, errors, stdout and stderr", () => {
    fx.captured.push(...stdout);
    expect(leakedSecrets(fx)).toEqual([]);
  });
});
