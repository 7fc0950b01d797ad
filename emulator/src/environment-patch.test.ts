// Environment patches over the API: staged (merged or replaced), read back masked, committed
// with or without deploys, committed at once; a bad patch writes nothing.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Fixture, headSha, startFixture } from "../../test/client/support.ts";

let fx: Fixture;
beforeAll(async () => {
  fx = await startFixture({ services: 2, durationMs: 300 });
});
afterAll(async () => {
  await fx?.stop();
});

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(fx.emulator.graphqlUrl, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${fx.tokens.account}` },
    body: JSON.stringify({ query, variables }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: test reads of known answers
  return (await response.json()) as { data?: any; errors?: { message: string }[] };
}

const STAGE = `mutation($e: String!, $input: EnvironmentConfig!, $merge: Boolean) {
  environmentStageChanges(environmentId: $e, input: $input, merge: $merge) { id status }
}`;
const STAGED = `query($e: String!, $d: Boolean) {
  environmentStagedChanges(environmentId: $e) { id status patch(decryptVariables: $d) }
  environment(id: $e) { unmergedChangesCount }
}`;
const COMMIT_STAGED = `mutation($e: String!, $skip: Boolean) {
  environmentPatchCommitStaged(environmentId: $e, commitMessage: "ship", skipDeploys: $skip)
}`;
const INSTANCE = `query($e: String!, $s: String!) {
  serviceInstance(environmentId: $e, serviceId: $s) { startCommand numReplicas latestDeployment { id meta } }
}`;
const VARIABLES = `query($p: String!, $e: String!, $s: String) { variables(projectId: $p, environmentId: $e, serviceId: $s, unrendered: true) }`;

describe("environment patches", () => {
  it("stages, merges, reads back masked, then commits and redeploys what changed", async () => {
    const e = fx.production;
    const deployed = await fx.client().deployCommit(e, "svc-0", headSha);
    await fx.client().watchDeployments([deployed], {});

    await gql(STAGE, { e, input: { services: { "svc-0": { deploy: { startCommand: "node a.js" } } } } });
    await gql(STAGE, {
      e,
      merge: true,
      input: { services: { "svc-0": { variables: { STAGED_FLAG: { value: "s3cret" } } } } },
    });
    const staged = await gql(STAGED, { e });
    expect(staged.data.environmentStagedChanges.status).toBe("STAGED");
    expect(staged.data.environmentStagedChanges.patch).toEqual({
      services: {
        "svc-0": { deploy: { startCommand: "node a.js" }, variables: { STAGED_FLAG: { value: null } } },
      },
    });
    expect(staged.data.environment.unmergedChangesCount).toBe(2);
    const decrypted = await gql(STAGED, { e, d: true });
    expect(decrypted.data.environmentStagedChanges.patch.services["svc-0"].variables.STAGED_FLAG).toEqual({
      value: "s3cret",
    });
    // Nothing is written while it is staged.
    expect((await gql(INSTANCE, { e, s: "svc-0" })).data.serviceInstance.startCommand).toBeNull();

    const committed = await gql(COMMIT_STAGED, { e });
    expect(committed.data.environmentPatchCommitStaged).toBe(staged.data.environmentStagedChanges.id);
    const instance = (await gql(INSTANCE, { e, s: "svc-0" })).data.serviceInstance;
    expect(instance.startCommand).toBe("node a.js");
    expect(instance.latestDeployment.id).not.toBe(deployed);
    expect(instance.latestDeployment.meta).toMatchObject({
      reason: "redeploy",
      sourceDeploymentId: deployed,
    });
    const vars = await gql(VARIABLES, { p: fx.projectId, e, s: "svc-0" });
    expect(vars.data.variables.STAGED_FLAG).toBe("s3cret");
    expect((await gql(STAGED, { e })).data.environment.unmergedChangesCount).toBe(0);
    await fx.client().watchDeployments([instance.latestDeployment.id], {});
  });

  it("replaces the staged patch without merge; skipDeploys commits without deploying", async () => {
    const e = fx.production;
    await gql(STAGE, { e, input: { services: { "svc-1": { deploy: { numReplicas: 2 } } } } });
    await gql(STAGE, { e, input: { services: { "svc-1": { deploy: { numReplicas: 4 } } } } });
    expect((await gql(STAGED, { e })).data.environment.unmergedChangesCount).toBe(1);
    const deployed = await fx.client().deployCommit(e, "svc-1", headSha);
    await fx.client().watchDeployments([deployed], {});
    await gql(COMMIT_STAGED, { e, skip: true });
    const instance = (await gql(INSTANCE, { e, s: "svc-1" })).data.serviceInstance;
    expect(instance.numReplicas).toBe(4);
    expect(instance.latestDeployment.id).toBe(deployed);
  });

  it("commits a patch at once (a null variable deletes it); a bad patch writes nothing", async () => {
    const e = fx.production;
    const commit = `mutation($e: String!, $patch: EnvironmentConfig) { environmentPatchCommit(environmentId: $e, patch: $patch) }`;
    const ok = await gql(commit, {
      e,
      patch: {
        services: { "svc-1": { variables: { API_KEY: null } } },
        sharedVariables: { NEW_SHARED: { value: "x" } },
      },
    });
    expect(ok.errors).toBeUndefined();
    expect((await gql(VARIABLES, { p: fx.projectId, e, s: "svc-1" })).data.variables.API_KEY).toBeUndefined();
    expect((await gql(VARIABLES, { p: fx.projectId, e })).data.variables.NEW_SHARED).toBe("x");

    const bad = await gql(commit, {
      e,
      patch: { services: { "svc-1": { deploy: { startCommand: "never" } }, "svc-nope": { deploy: {} } } },
    });
    expect(bad.errors?.[0]?.message).toMatch(/svc-nope: no such service/);
    expect((await gql(INSTANCE, { e, s: "svc-1" })).data.serviceInstance.startCommand).toBeNull();
    const nothingStaged = await gql(COMMIT_STAGED, { e });
    expect(nothingStaged.errors?.[0]?.message).toBe("No staged changes to commit");
  });
});
