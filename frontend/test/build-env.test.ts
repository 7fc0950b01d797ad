// NEXT_PUBLIC_API_URL is baked into the bundle, so a wrong value must stop the build with
// one readable line. The checks run the real `npm run build` (and bare `next build`) as
// processes; they fail before Next touches .next, so they cannot disturb the shared build.
import path from "node:path";
import { describe, expect, it } from "vitest";
import { buildCommit, checkApiUrl } from "../scripts/build-env.mjs";
import { childEnv, FRONTEND_DIR, runToEnd } from "./support/processes.ts";

const STACK_FRAME = /^\s+at .+[(:]/m;

describe("checkApiUrl", () => {
  it("rejects a missing or blank value", () => {
    for (const raw of [undefined, "", "   "]) {
      const result = checkApiUrl(raw);
      expect(result.ok).toBe(false);
      expect(result.ok ? "" : result.message).toMatch(/^NEXT_PUBLIC_API_URL is not set\./);
    }
  });

  it("rejects relative URLs and bare host names", () => {
    for (const raw of ["/api", "api", "api.example.com", "//api.example.com"]) {
      const result = checkApiUrl(raw);
      expect(result, raw).toEqual({
        ok: false,
        message: expect.stringContaining("must be an absolute http(s) URL"),
      });
    }
  });

  it("rejects schemes other than http and https", () => {
    const result = checkApiUrl("ws://api.example.com");
    expect(result).toEqual({
      ok: false,
      message: expect.stringContaining('must use http or https, got "ws:"'),
    });
  });

  it("rejects credentials without repeating them", () => {
    const result = checkApiUrl("https://deploy:hunter2@api.example.com");
    expect(result.ok).toBe(false);
    expect(result.ok ? "" : result.message).not.toContain("hunter2");
  });

  it("accepts absolute http(s) URLs and drops trailing slashes", () => {
    expect(checkApiUrl("https://api.example.com/")).toEqual({ ok: true, apiUrl: "https://api.example.com" });
    expect(checkApiUrl(" http://127.0.0.1:4000/v1// ")).toEqual({
      ok: true,
      apiUrl: "http://127.0.0.1:4000/v1",
    });
  });

  it("reports no commit rather than an empty one", () => {
    expect(buildCommit(undefined)).toBeNull();
    expect(buildCommit(" ")).toBeNull();
    expect(buildCommit("0123abc")).toBe("0123abc");
  });
});

describe("npm run build with a bad NEXT_PUBLIC_API_URL", () => {
  async function npmRunBuild(apiUrl: string | undefined) {
    const env = childEnv({});
    delete env.NEXT_PUBLIC_API_URL;
    if (apiUrl !== undefined) env.NEXT_PUBLIC_API_URL = apiUrl;
    return runToEnd("bad-build", "npm", ["run", "build"], { cwd: FRONTEND_DIR, env });
  }

  it("fails with one clear message when the variable is missing", async () => {
    const { code, output } = await npmRunBuild(undefined);
    expect(code).toBe(1);
    expect(output).toContain("frontend build: NEXT_PUBLIC_API_URL is not set.");
    expect(output).not.toMatch(STACK_FRAME);
    expect(output).not.toContain("Creating an optimized production build");
  });

  it("fails with one clear message when the URL is relative", async () => {
    const { code, output } = await npmRunBuild("/api");
    expect(code).toBe(1);
    expect(output).toContain(
      'frontend build: NEXT_PUBLIC_API_URL must be an absolute http(s) URL, got "/api".',
    );
    expect(output).not.toMatch(STACK_FRAME);
  });

  it("also stops a bare `next build` that skips the npm script", async () => {
    const env = childEnv({ NEXT_PUBLIC_API_URL: "api.example.com" });
    const { code, output } = await runToEnd(
      "bare-next-build",
      path.join(FRONTEND_DIR, "node_modules", ".bin", "next"),
      ["build"],
      {
        cwd: FRONTEND_DIR,
        env,
      },
    );
    expect(code).toBe(1);
    expect(output).toContain('NEXT_PUBLIC_API_URL must be an absolute http(s) URL, got "api.example.com".');
    expect(output).not.toMatch(STACK_FRAME);
  });
});
