// The runner's side of the ContainerEngine seam. There is no podman on this machine, so the
// engine here is a recording one that runs each "image" as a host process from its build
// context (its CMD read from the Dockerfile). It proves what the runner asks of an engine —
// build context, Dockerfile, tag, PORT in the environment, pre-deploy and start commands,
// reuse of a built image, SIGTERM on stop — not that podman builds the image; podman.ts's own
// tests do that.

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { nativeImageCommand, parseDockerfile } from "./build.ts";
import {
  createFixtureRepo,
  type FixtureRepo,
  fixtureSpec,
  httpGet,
  livingProcesses,
  RecordingSink,
} from "./process.fixtures.ts";
import { ProcessRunner } from "./process.ts";
import { spawnGroup } from "./process-group.ts";
import type { ContainerEngine, ContainerProcess } from "./types.ts";

interface RunCall {
  image: string;
  name: string;
  env: Record<string, string>;
  command?: string[];
  pid: number;
}

/** Records every call; an "image" is its build context, run as a host process. */
class RecordingHostEngine implements ContainerEngine {
  readonly builds: { contextDir: string; dockerfile: string; tag: string }[] = [];
  readonly runs: RunCall[] = [];
  readonly stops: { name: string; signal: string; graceMs: number }[] = [];
  private readonly images = new Map<string, { contextDir: string; dockerfile: string }>();

  async available(): Promise<boolean> {
    return true;
  }

  async buildImage(options: Parameters<ContainerEngine["buildImage"]>[0]): Promise<void> {
    this.builds.push({ contextDir: options.contextDir, dockerfile: options.dockerfile, tag: options.tag });
    options.log(`STEP 1/1: recorded build of ${options.tag}`);
    this.images.set(options.tag, { contextDir: options.contextDir, dockerfile: options.dockerfile });
  }

  run(options: Parameters<ContainerEngine["run"]>[0]): ContainerProcess {
    const image = this.images.get(options.image);
    if (!image) throw new Error(`no image ${options.image}`);
    const argv = (async () => {
      if (options.command) return options.command;
      const summary = parseDockerfile(await readFile(image.dockerfile, "utf8"), image.dockerfile);
      return nativeImageCommand(summary.final, image.contextDir) ?? ["false"];
    })();
    const started = argv.then(([command, ...args]) => {
      const proc = spawnGroup({
        command: command as string,
        args,
        cwd: image.contextDir,
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...options.env },
        onLine: options.log,
      });
      this.runs.push({
        image: options.image,
        name: options.name,
        env: options.env,
        command: options.command,
        pid: proc.pid,
      });
      return proc;
    });
    return {
      exited: started.then((proc) => proc.exited).then((exit) => exit.code ?? 137),
      stop: async (signal, graceMs) => {
        this.stops.push({ name: options.name, signal, graceMs });
        const proc = await started;
        if (signal === "SIGKILL") proc.kill();
        else await proc.stop(graceMs);
      },
    };
  }
}

let repo: FixtureRepo;
let workDir: string;
let runner: ProcessRunner;
let engine: RecordingHostEngine;

beforeAll(() => {
  repo = createFixtureRepo();
});
afterAll(() => rmSync(repo.dir, { recursive: true, force: true }));
afterEach(async () => {
  await runner.close();
  rmSync(workDir, { recursive: true, force: true });
});

describe("ProcessRunner with a container engine", () => {
  it("builds the image from the service root, runs pre-deploy and the image with PORT, reuses the image", async () => {
    workDir = mkdtempSync(path.join(tmpdir(), "railyard-runner-engine-"));
    engine = new RecordingHostEngine();
    runner = new ProcessRunner({ workDir, containerEngine: engine, healthcheckIntervalMs: 100 });
    const settings = {
      builder: "DOCKERFILE" as const,
      rootDirectory: "/app",
      healthcheckPath: "/health",
      preDeployCommand: ["node migrate.js"],
    };
    const marker = path.join(workDir, "migrated.txt");
    const spec = fixtureSpec(repo, { settings, variables: { GREETING: "boxed", MIGRATION_MARKER: marker } });
    const sink = new RecordingSink();
    const first = runner.start(spec, sink, new AbortController().signal);
    await sink.untilStatus("SUCCESS");
    expect(sink.statuses).toEqual(["BUILDING", "DEPLOYING", "SUCCESS"]);

    expect(engine.builds).toHaveLength(1);
    const build = engine.builds[0];
    expect(build?.contextDir).toMatch(/\/builds\/[0-9a-f]{32}\/src\/app$/);
    expect(build?.dockerfile).toBe(path.join(build?.contextDir ?? "", "Dockerfile"));
    expect(build?.tag).toMatch(new RegExp(`^railyard-emulator/app:${repo.v1.slice(0, 12)}-[0-9a-f]{8}$`));
    expect(sink.buildLines).toContain(`STEP 1/1: recorded build of ${build?.tag}`);

    const [preDeploy, service] = engine.runs;
    expect(preDeploy?.command).toEqual(["sh", "-c", "node migrate.js"]);
    expect(preDeploy?.env.MIGRATION_MARKER).toBe(marker);
    expect(readFileSync(marker, "utf8")).toBe("migrated");
    expect(service?.name).toBe(`railyard-${spec.deploymentId}`);
    expect(service?.command).toBeUndefined(); // the image's CMD
    expect(service?.env.PORT).toMatch(/^\d+$/);
    expect(service?.env.GREETING).toBe("boxed");
    const domain = await runner.serviceDomain("svc-app", "env-1");
    expect((await httpGet(domain, "/")).status).toBe(200);

    const again = new RecordingSink();
    const second = runner.start(
      fixtureSpec(repo, {
        settings: { ...settings, startCommand: "node server.js" },
        variables: spec.variables,
      }),
      again,
      new AbortController().signal,
    );
    await again.untilStatus("SUCCESS");
    expect(engine.builds).toHaveLength(1);
    expect(engine.runs.at(-1)?.command).toEqual(["sh", "-c", "node server.js"]);

    await first.stop({ drainingSeconds: 2 });
    await second.stop({ drainingSeconds: 2 });
    expect(engine.stops.filter((stop) => stop.signal === "SIGTERM").map((stop) => stop.graceMs)).toEqual([
      2000, 2000,
    ]);
    expect(livingProcesses(engine.runs.map((run) => run.pid))).toEqual([]);
  });
});
