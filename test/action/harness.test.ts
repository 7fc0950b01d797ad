// Runs the committed bundle through action.yml the way the runner does. Every input gets a
// value the action must reject (or visibly use): if action.yml forgot to map it, the action
// would silently use its default and the test fails.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
// @ts-expect-error: a plain ESM script without type declarations
import { inputsDoc, readmeWithInputs, runAction } from "../../scripts/action-harness.mjs";

const declared = Object.keys(parse(readFileSync("action.yml", "utf8")).inputs);

/** For each input: the inputs to pass and a text the output must contain when it is mapped. */
const probes: Record<string, { inputs: Record<string, string>; expect: string }> = {
  mode: { inputs: { mode: "bogus" }, expect: "input mode: expected validate, plan, deploy or redeploy" },
  "railway-token": {
    inputs: { mode: "plan", "railway-token": "probe-token-1", endpoint: "http://127.0.0.1:9/graphql" },
    expect: "::add-mask::probe-token-1",
  },
  "project-id": { inputs: { "project-id": "../x" }, expect: "input project-id:" },
  environment: { inputs: { environment: "bad name!" }, expect: "input environment:" },
  services: { inputs: { services: "a;b" }, expect: "input services:" },
  "config-files": { inputs: { "config-files": "../x.toml" }, expect: "input config-files:" },
  "service-configs": { inputs: { "service-configs": "web" }, expect: "input service-configs:" },
  "commit-sha": { inputs: { "commit-sha": "zz" }, expect: "input commit-sha:" },
  "api-url": { inputs: { "api-url": "ftp://x" }, expect: "input api-url:" },
  "frontend-url": { inputs: { "frontend-url": "ftp://x" }, expect: "input frontend-url:" },
  endpoint: { inputs: { endpoint: "ftp://x" }, expect: "input endpoint:" },
  "timeout-minutes": { inputs: { "timeout-minutes": "0" }, expect: "input timeout-minutes:" },
  "smoke-timeout-minutes": {
    inputs: { "smoke-timeout-minutes": "0" },
    expect: "input smoke-timeout-minutes:",
  },
  concurrency: { inputs: { concurrency: "0" }, expect: "input concurrency:" },
  rollback: { inputs: { rollback: "maybe" }, expect: "input rollback:" },
  "delete-undeclared": { inputs: { "delete-undeclared": "maybe" }, expect: "input delete-undeclared:" },
  smoke: { inputs: { smoke: "maybe" }, expect: "input smoke:" },
  "browser-path": { inputs: { "browser-path": "chromium" }, expect: "input browser-path:" },
  "stability-seconds": { inputs: { "stability-seconds": "-1" }, expect: "input stability-seconds:" },
  "github-token": {
    inputs: { mode: "validate", "github-token": "probe-gh-token-2" },
    expect: "::add-mask::probe-gh-token-2",
  },
  "working-directory": {
    inputs: { mode: "validate", "working-directory": "no/such/dir" },
    expect: "input working-directory:",
  },
};

describe("action.yml run the way the runner runs it", () => {
  it("has a probe for every declared input", () => {
    expect(Object.keys(probes).sort()).toEqual([...declared].sort());
  });

  it.each(declared)("maps input %s into the action", async (name) => {
    const probe = probes[name];
    if (!probe) throw new Error(`no probe for input ${name}`);
    const result = await runAction({
      inputs: { "railway-token": "t", ...probe.inputs },
      env: { GITHUB_WORKSPACE: process.cwd() },
    });
    expect(result.stdout + result.stderr).toContain(probe.expect);
  });

  it("rejects an input action.yml does not declare, as the runner does", async () => {
    await expect(runAction({ inputs: { "railway-tokn": "x" } })).rejects.toThrow(
      "Unexpected input 'railway-tokn'",
    );
  });

  it("validates this repository's config and sets its outputs", async () => {
    const result = await runAction({
      inputs: { mode: "validate" },
      env: { GITHUB_WORKSPACE: process.cwd() },
    });
    expect(result.outputs.result).toMatch(/^(success|failure)$/);
    expect(result.summary).toContain("Railyard");
    expect(result.exitCode === 0).toBe(result.outputs.result === "success");
  });
});

describe("docs/action-inputs.md and the README's tables", () => {
  it("match action.yml (regenerate with `node scripts/action-harness.mjs docs`)", () => {
    expect(readFileSync("docs/action-inputs.md", "utf8")).toBe(inputsDoc());
    const readme = readFileSync("README.md", "utf8");
    expect(readme).toBe(readmeWithInputs(readme));
    for (const name of ["mode", "railway-token", "environment", "services", "rollback"])
      expect(readme).toContain(`| \`${name}\` |`);
  });

  it("the docs check command fails on drift", () => {
    expect(() =>
      execFileSync("node", ["scripts/action-harness.mjs", "docs", "--check"], { stdio: "pipe" }),
    ).not.toThrow();
  });
});
