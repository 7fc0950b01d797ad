// Token kinds and every kind of wrong token, against the emulator over real HTTP.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RailwayAuthError } from "../../action/src/railway/errors.ts";
import { type Fixture, failure, leakedSecrets, startFixture } from "./support.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture();
});
afterAll(async () => {
  await fx?.stop();
});

describe("token kinds", () => {
  it("detects a project token through projectToken and sends Project-Access-Token", async () => {
    const client = fx.client({ token: fx.tokens.project });
    expect(await client.tokenScope()).toEqual({
      kind: "project",
      projectId: "proj-main",
      environmentId: "env-production",
    });
    expect(await client.authHeaders()).toEqual({ "Project-Access-Token": fx.tokens.project });
    const project = await client.project("proj-main");
    expect(project.services.map((s) => s.name)).toContain("api");
    expect(project.environments.map((e) => e.name)).toEqual(["production", "pr"]);
  });

  it("falls back to an account token (Authorization: Bearer) when projectToken refuses it", async () => {
    const client = fx.client({ token: fx.tokens.account });
    expect(await client.tokenScope()).toEqual({ kind: "account" });
    expect(await client.authHeaders()).toEqual({ Authorization: `Bearer ${fx.tokens.account}` });
    expect((await client.project("proj-other")).name).toBe("other");
  });

  it("uses the kind given without asking", async () => {
    const client = fx.client({ token: fx.tokens.account, tokenKind: "account" });
    const before = client.requestCount;
    await client.tokenScope();
    expect(client.requestCount).toBe(before);
    expect((await client.serviceInstance("env-production", "svc-0")).rootDirectory).toBe("/backend");
  });
});

describe("wrong tokens get errors that say which problem it is", () => {
  it("invalid-or-expired: a project token Railway does not know", async () => {
    const client = fx.client({ token: "proj-not-a-real-token-123456", tokenKind: "project" });
    const error = await failure<RailwayAuthError>(fx, client.project("proj-main"));
    expect(error).toBeInstanceOf(RailwayAuthError);
    expect(error.kind).toBe("invalid-or-expired");
    expect(error.message).toMatch(/project token/);
    expect(error.message).not.toContain("proj-not-a-real-token-123456");
  });

  it("invalid-or-expired: an unknown token in auto mode (neither kind accepts it)", async () => {
    const client = fx.client({ token: "nobody-knows-this-token-98765" });
    const error = await failure<RailwayAuthError>(fx, client.project("proj-main"));
    expect(error.kind).toBe("invalid-or-expired");
    expect(error.message).not.toContain("nobody-knows-this-token-98765");
  });

  it("wrong-project: a project token used on another project", async () => {
    const client = fx.client({ token: fx.tokens.project });
    const error = await failure<RailwayAuthError>(fx, client.project("proj-other"));
    expect(error.kind).toBe("wrong-project");
    expect(error.message).toContain("proj-main");
  });

  it("wrong-project: an account token without access to the project", async () => {
    const client = fx.client({ token: fx.tokens.otherProjectOnly });
    const error = await failure<RailwayAuthError>(fx, client.project("proj-main"));
    expect(error.kind).toBe("wrong-project");
  });

  it("wrong-environment: a project token of the pr environment used on production", async () => {
    const client = fx.client({ token: fx.tokens.prProject });
    const error = await failure<RailwayAuthError>(
      fx,
      client.variablesForDeployment("proj-main", "env-production", "svc-0"),
    );
    expect(error.kind).toBe("wrong-environment");
    expect(error.message).toContain("env-pr");
  });

  it("insufficient-scope: a read-only token trying to change settings", async () => {
    const client = fx.client({ token: fx.tokens.readOnly });
    expect((await client.serviceInstance("env-production", "svc-1")).serviceId).toBe("svc-1");
    const error = await failure<RailwayAuthError>(
      fx,
      client.updateServiceInstance("svc-1", "env-production", { startCommand: "node x.js" }),
    );
    expect(error.kind).toBe("insufficient-scope");
  });

  it("leaves no token in any captured text", () => {
    expect(fx.captured.length).toBeGreaterThan(0);
    expect(leakedSecrets(fx)).toEqual([]);
  });
});
