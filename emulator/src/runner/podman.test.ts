// PodmanEngine against the real podman: a tiny image built FROM the local base image
// (scripts/container/base-image.mjs), run with variables, logs, exit codes and SIGTERM.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PodmanEngine, PodmanError, splitEnvironment } from "./podman.ts";

const suffix = `${process.pid}-${Date.now().toString(36)}`;
const tag = `localhost/railyard-podman-test:${suffix}`;
// Env files go to a folder of this test's own, so "none left behind" is not disturbed by others.
const envDir = mkdtempSync(join(tmpdir(), "railyard-podman-envdir-"));
const engine = new PodmanEngine({ tempDir: envDir });
let contextDir = "";

// The app drains on SIGTERM (logs, waits 300 ms, exits 0) like the backend roles do.
const APP = `
console.log("greeting=" + process.env.GREETING);
console.log("lines=" + JSON.stringify(process.env.MULTI_LINE));
console.error("uid=" + process.getuid());
process.on("SIGTERM", () => { console.log("draining"); setTimeout(() => process.exit(0), 300); });
setInterval(() => {}, 1000);
`;

function envFilesLeft(): string[] {
  return readdirSync(envDir);
}

function collector() {
  const lines: { line: string; stream: string }[] = [];
  return {
    lines,
    log: (line: string, stream: "stdout" | "stderr") => lines.push({ line, stream }),
    waitFor: async (text: string, timeoutMs = 20_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!lines.some((entry) => entry.line.includes(text))) {
        if (Date.now() > deadline) throw new Error(`no log line with "${text}" in ${timeoutMs} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

beforeAll(async () => {
  expect(await engine.available()).toBe(true);
  contextDir = mkdtempSync(join(tmpdir(), "railyard-podman-ctx-"));
  writeFileSync(join(contextDir, "app.js"), APP);
  writeFileSync(
    join(contextDir, "Dockerfile"),
    [
      "FROM docker.io/library/node:24-bookworm-slim",
      "WORKDIR /app",
      "COPY app.js .",
      "USER node",
      'CMD ["node", "app.js"]',
      "",
    ].join("\n"),
  );
  const buildLines: string[] = [];
  await engine.buildImage({
    contextDir,
    dockerfile: "Dockerfile",
    tag,
    log: (line) => buildLines.push(line),
  });
  expect(buildLines.some((line) => line.includes("COPY app.js"))).toBe(true);
}, 300_000); // a fresh machine builds the base image first (debootstrap: up to ~75 s on 2 busy cores)

afterAll(() => {
  spawnSync("podman", ["rmi", "--force", tag], { stdio: "ignore" });
  if (contextDir) rmSync(contextDir, { recursive: true, force: true });
  rmSync(envDir, { recursive: true, force: true });
});

describe("PodmanEngine", () => {
  it("passes variables (multi-line too) without putting values on podman's command line, then drains on SIGTERM", async () => {
    const name = `railyard-podman-test-run-${suffix}`;
    const secret = `s3cret-${suffix}`;
    const output = collector();
    const container = engine.run({
      image: tag,
      name,
      env: { GREETING: secret, MULTI_LINE: "first\nsecond" },
      log: output.log,
    });
    await output.waitFor("uid=");
    expect(output.lines).toContainEqual({ line: `greeting=${secret}`, stream: "stdout" });
    expect(output.lines).toContainEqual({ line: 'lines="first\\nsecond"', stream: "stdout" });
    expect(output.lines).toContainEqual({ line: "uid=1000", stream: "stderr" });

    const createCommand = spawnSync("podman", ["inspect", "--format", "{{.Config.CreateCommand}}", name], {
      encoding: "utf8",
    });
    expect(createCommand.status).toBe(0);
    expect(createCommand.stdout).toContain("--env-file");
    expect(createCommand.stdout).not.toContain(secret);
    expect(createCommand.stdout).not.toContain("second");
    expect(envFilesLeft().length).toBe(0);

    await container.stop("SIGTERM", 10_000);
    expect(await container.exited).toBe(0);
    expect(output.lines.map((entry) => entry.line)).toContain("draining");
    const gone = spawnSync("podman", ["container", "exists", name]);
    expect(gone.status).toBe(1);
  });

  it("runs a command override and reports its exit code", async () => {
    const output = collector();
    const container = engine.run({
      image: tag,
      name: `railyard-podman-test-exit-${suffix}`,
      env: {},
      command: ["node", "-e", "console.log('migrating'); process.exit(3)"],
      log: output.log,
    });
    expect(await container.exited).toBe(3);
    expect(output.lines).toContainEqual({ line: "migrating", stream: "stdout" });
  });

  it("kills a container that ignores SIGTERM once the grace period is over", async () => {
    const output = collector();
    const container = engine.run({
      image: tag,
      name: `railyard-podman-test-stubborn-${suffix}`,
      env: {},
      command: [
        "node",
        "-e",
        "process.on('SIGTERM', () => console.log('ignored')); console.log('up'); setInterval(() => {}, 1000)",
      ],
      log: output.log,
    });
    await output.waitFor("up");
    const started = Date.now();
    await container.stop("SIGTERM", 1_000);
    expect(await container.exited).toBe(137);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("fails a broken build with the failing step in a PodmanError", async () => {
    const broken = mkdtempSync(join(tmpdir(), "railyard-podman-ctx-"));
    try {
      writeFileSync(join(broken, "Dockerfile"), "FROM docker.io/library/node:24-bookworm-slim\nRUN exit 7\n");
      const build = engine.buildImage({
        contextDir: broken,
        dockerfile: "Dockerfile",
        tag: `localhost/railyard-podman-test-broken:${suffix}`,
        log: () => {},
      });
      await expect(build).rejects.toBeInstanceOf(PodmanError);
      await expect(build).rejects.toThrow(/RUN exit 7/);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });

  it("rejects a variable name podman could not pass", () => {
    expect(() => splitEnvironment({ "BAD NAME": "x" })).toThrow(/invalid variable name "BAD NAME"/);
    expect(splitEnvironment({ A: "1", B: "x\ny" })).toEqual({ fileLines: ["A=1"], inherited: ["B"] });
  });
});
