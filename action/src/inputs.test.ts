import { describe, expect, it } from "vitest";
import { DEFAULT_ENDPOINT, readSettings } from "./inputs.ts";

const reader = (inputs: Record<string, string>) => (name: string) => inputs[name] ?? "";

describe("action inputs", () => {
  it("applies defaults", () => {
    const settings = readSettings(reader({ "railway-token": "t", "browser-path": "none" }));
    expect(settings).toMatchObject({
      mode: "deploy",
      environment: "production",
      endpoint: DEFAULT_ENDPOINT,
      timeoutMinutes: 30,
      concurrency: Number.POSITIVE_INFINITY,
      rollback: true,
      smoke: true,
      stabilitySeconds: 20,
      workingDirectory: ".",
    });
    expect(settings.browserPath).toBeUndefined();
  });

  it("takes concurrency all or a whole number", () => {
    const read = (concurrency: string) =>
      readSettings(reader({ "railway-token": "t", "browser-path": "none", concurrency })).concurrency;
    expect(read("all")).toBe(Number.POSITIVE_INFINITY);
    expect(read("1")).toBe(1);
    expect(read("64")).toBe(64);
  });

  it("parses service lists and all", () => {
    expect(
      readSettings(reader({ mode: "redeploy", "railway-token": "t", services: "api, data-poller\nfrontend" }))
        .services,
    ).toEqual(["api", "data-poller", "frontend"]);
    expect(readSettings(reader({ mode: "redeploy", "railway-token": "t", services: "all" })).services).toBe(
      "all",
    );
    expect(readSettings(reader({ mode: "redeploy", "railway-token": "t" })).services).toBe("all");
  });

  it.each([
    [{ mode: "ship" }, "input mode: expected validate, plan, deploy or redeploy"],
    [{ environment: "prod; rm -rf /" }, "input environment: expected a Railway environment name"],
    [{ services: "api,$(whoami)" }, 'input services: "$(whoami)" is not a service name'],
    [{ services: "api,all" }, 'input services: "all" is not a service name'],
    [{ "timeout-minutes": "ten" }, 'input timeout-minutes: expected a number, got "ten"'],
    [{ "timeout-minutes": "0" }, "input timeout-minutes: expected a value from 1 to 360, got 0"],
    [{ concurrency: "2.5" }, "input concurrency: expected a whole number"],
    [{ concurrency: "some" }, 'input concurrency: expected a whole number, got "some"'],
    [{ concurrency: "65" }, "input concurrency: expected a value from 1 to 64, got 65"],
    [{ rollback: "maybe" }, 'input rollback: expected true or false, got "maybe"'],
    [{ "api-url": "ftp://x" }, "input api-url: expected an http:// or https:// URL"],
    [{ "frontend-url": "not a url" }, "input frontend-url: expected an http(s) URL"],
    [{ endpoint: "https://user:pw@host/graphql" }, "input endpoint: must not carry credentials"],
    [{ "project-id": "../etc" }, "input project-id: expected a Railway project id"],
    [{ "config-files": "../outside/railway.toml" }, "input config-files:"],
    [{ "browser-path": "chromium" }, "input browser-path: expected an absolute path"],
    [{ "commit-sha": "HEAD~1" }, "input commit-sha: expected a commit sha"],
  ])("rejects %j", (inputs, message) => {
    expect(() => readSettings(reader({ "railway-token": "t", ...inputs }))).toThrow(message);
  });

  it("needs a token for every mode but validate", () => {
    expect(() => readSettings(reader({ mode: "plan" }))).toThrow(
      "input railway-token: mode plan needs a Railway token",
    );
    expect(readSettings(reader({ mode: "validate" })).mode).toBe("validate");
  });

  it("never puts the token into an error message", () => {
    try {
      readSettings(reader({ "railway-token": "tok-SECRET-123", mode: "nope" }));
      expect.unreachable();
    } catch (error) {
      expect(String(error)).not.toContain("SECRET");
    }
  });
});
