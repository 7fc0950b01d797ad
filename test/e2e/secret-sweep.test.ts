// The secret sweep: the bundled action, run through action.yml the way the runner runs it, goes
// through every kind of run a user meets (plan, deploy, redeploy, missing variable, failed build,
// crash after SUCCESS, a flaky API, a wrong token) with recognisable fake secrets in Railway.
// Everything the runs printed (log lines and annotations), the job summaries, the outputs and
// every file they wrote must hold none of the secrets, nor their base64 or URL-encoded forms.
// The only place a secret may appear is the runner's own `::add-mask::` command.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator } from "../../emulator/src/index.ts";
// @ts-expect-error: a plain ESM script without type declarations
import { runAction } from "../../scripts/action-harness.mjs";
import { cloneRepo, stackState, type TempRepo } from "./helpers.ts";

const tag = randomBytes(4).toString("hex");
const passwords = {
  userDbPassword: `Sweep-userdb-${tag}-pw`,
  generalDbPassword: `Sweep-generaldb-${tag}-pw`,
  redisPassword: `Sweep-redis-${tag}-pw`,
};
/** The variable values in Railway: each must be masked and must never appear. */
const values = {
  userDatabaseUrl: `postgresql://app:${passwords.userDbPassword}@127.0.0.1:5432/sweep_user`,
  generalDatabaseUrl: `postgresql://app:${passwords.generalDbPassword}@127.0.0.1:5432/sweep_general`,
  redisUrl: `redis://default:${passwords.redisPassword}@127.0.0.1:6379`,
  masterKey: `5eed${tag}${"ab".repeat(26)}`, // 64 hex characters
  apiExtra: `sk_live_Sweep_${tag}/+=?&`, // characters that URL-encoding and base64 change
  jsonCredentials: JSON.stringify({ client_email: "svc@example.com", private_key: `Sweep-jsonleaf-${tag}` }),
  multiLine: `Sweep-line-one-${tag}\nSweep-line-two-${tag}`,
  // A user's variable named like Railway's metadata is the user's, and secret.
  userRailwayNamed: `sweep-private-${tag}.example.internal`,
};
/** Values too short or too common to mask: never told to the runner, their log lines withheld. */
const unmaskable = { pin: "q#7", mode: "deploy" };
const jsonLeaf = `Sweep-jsonleaf-${tag}`;

/**
 * What the failing build prints: every value in every form a program may print it, a value split
 * across two lines, the password of a URL, a JSON leaf, Basic-auth headers, the short values.
 */
function hostileBuildLog(): string[] {
  // At most 19 lines: the report shows the last 20 lines of the log (the emulator adds one).
  const lines: string[] = forms(values.apiExtra).map((form) => `env dump: ${form}`);
  lines.push(`double-json: ${JSON.stringify(JSON.stringify({ v: values.apiExtra }))}`);
  lines.push(`service url ${values.userRailwayNamed}`);
  lines.push(`connecting with ${values.apiExtra.slice(0, 12)}`, `${values.apiExtra.slice(12)} done`);
  lines.push(`FATAL password authentication failed (password ${passwords.userDbPassword})`);
  lines.push(`Authorization: Basic ${Buffer.from(`default:${passwords.redisPassword}`).toString("base64")}`);
  lines.push(`private key: ${jsonLeaf} (${Buffer.from(jsonLeaf).toString("base64")})`);
  lines.push(`second line alone: Sweep-line-two-${tag}`);
  lines.push(`pin is ${unmaskable.pin}; SWEEP_MODE=${unmaskable.mode}`);
  return lines;
}

interface Capture {
  name: string;
  text: string;
}

/** Every form in which a leaked secret could show up. */
function forms(secret: string): string[] {
  const base64 = Buffer.from(secret).toString("base64");
  return [
    secret,
    base64.replace(/=+$/, ""),
    Buffer.from(secret).toString("base64url"),
    Buffer.from(secret).toString("hex"),
    encodeURIComponent(secret),
    encodeURI(secret),
    new URLSearchParams({ v: secret }).toString().slice(2),
    JSON.stringify(secret).slice(1, -1),
    JSON.stringify(JSON.stringify(secret).slice(1, -1)).slice(1, -1),
  ];
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name !== ".git" && entry.name !== "node_modules") out.push(...filesUnder(path));
    } else if (entry.isFile() && statSync(path).size < 5_000_000) out.push(path);
  }
  return out;
}

let repo: TempRepo;
let emulator: Awaited<ReturnType<typeof startEmulator>>;
let token: string;
let runTemp: string;
const captures: Capture[] = [];

async function act(name: string, inputs: Record<string, string>) {
  const result = await runAction({
    inputs: {
      "railway-token": token,
      endpoint: emulator.graphqlUrl,
      smoke: "false",
      "stability-seconds": "0",
      "timeout-minutes": "2",
      ...inputs,
    },
    env: { GITHUB_WORKSPACE: repo.dir, RUNNER_TEMP: runTemp, TMPDIR: runTemp, RUNNER_DEBUG: "1" },
    workspace: repo.dir,
  });
  // The mask commands are the runner's way of learning secrets; they are never shown.
  const printed = `${result.stdout}\n${result.stderr}`.replace(/^::add-mask::.*$/gm, "");
  captures.push({ name: `${name}: printed output and annotations`, text: printed });
  captures.push({ name: `${name}: job summary`, text: result.summary });
  captures.push({ name: `${name}: outputs`, text: JSON.stringify(result.outputs) });
  return result as { exitCode: number; stdout: string; summary: string; outputs: Record<string, string> };
}

beforeAll(async () => {
  repo = cloneRepo();
  runTemp = mkdtempSync(join(tmpdir(), "railyard-sweep-run-"));
  const stack = stackState({
    userDatabaseUrl: values.userDatabaseUrl,
    generalDatabaseUrl: values.generalDatabaseUrl,
    redisUrl: values.redisUrl,
    masterKey: values.masterKey,
    set: {
      api: {
        PAYMENTS_API_KEY: values.apiExtra,
        GOOGLE_CREDENTIALS: values.jsonCredentials,
        TLS_KEY: values.multiLine,
        RAILWAY_SERVICE_SWEEP_URL: values.userRailwayNamed,
        SWEEP_PIN: unmaskable.pin,
        SWEEP_MODE: unmaskable.mode,
      },
    },
  });
  token = stack.token;
  emulator = await startEmulator({
    state: stack.state as never,
    repoDir: repo.dir,
    runner: "simulated",
    simulatedDurationMs: 200,
  });
}, 120_000);

afterAll(async () => {
  await emulator?.stop();
  repo?.remove();
  rmSync(runTemp, { recursive: true, force: true });
});

describe("no secret reaches any output", () => {
  it("through plan, deploy, failures, retries, redeploy and a wrong token", async () => {
    const plan = await act("plan", { mode: "plan" });
    expect(plan.exitCode).toBe(0);

    // Every value is read from Railway in the deploy, so every value must have been masked.
    const deploy = await act("first deploy", { mode: "deploy" });
    expect(deploy.exitCode).toBe(0);
    for (const secret of [token, ...Object.values(values)].filter((v) => !v.includes("\n")))
      expect(deploy.stdout).toContain(`::add-mask::${secret}`);
    // Railway's own metadata (service and environment names) stays readable in the log.
    expect(deploy.stdout).not.toMatch(/^::add-mask::(api|production)$/m);

    emulator.faults.add({ http: [{ kind: "status", status: 429, retryAfterSeconds: 1 }] });
    emulator.faults.add({ http: [{ kind: "status", status: 502, count: 2 }] });
    const flaky = await act("redeploy through 429 and 502", { mode: "redeploy", services: "all" });
    expect(flaky.exitCode).toBe(0);

    emulator.faults.add({
      deployment: [{ kind: "build-fails", service: "api", logLines: hostileBuildLog() }],
    });
    const failedBuild = await act("failed build", { mode: "redeploy", services: "api" });
    expect(failedBuild.exitCode).not.toBe(0);
    // The tail was shown (redacted), not dropped, and the short values' lines were withheld.
    expect(failedBuild.stdout).toContain("env dump: ***");
    expect(failedBuild.stdout).toMatch(/log lines? withheld/);
    expect(failedBuild.summary).toContain("env dump: ***");
    // A multi-line value reaches the runner one line at a time; short and common values never.
    expect(failedBuild.stdout).toContain(`::add-mask::Sweep-line-two-${tag}`);
    expect(failedBuild.stdout).not.toContain("%0ASweep-line-two");
    for (const value of Object.values(unmaskable))
      expect(failedBuild.stdout).not.toMatch(new RegExp(`^::add-mask::${value}$`, "m"));

    emulator.faults.add({ deployment: [{ kind: "crash-after-healthy", service: "frontend" }] });
    const crash = await act("crash after success", {
      mode: "redeploy",
      services: "frontend",
      "stability-seconds": "3",
    });
    expect(crash.exitCode).not.toBe(0);

    const wrongToken = `${token}-not-valid`;
    const refused = await act("wrong token", { mode: "plan", "railway-token": wrongToken });
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stdout).toContain(`::add-mask::${wrongToken}`);

    // A missing variable: the files now require PAYMENTS_API_KEY of the api (a value only
    // Railway holds: the files set CORS_ORIGIN themselves, so taking that away is no longer a
    // missing variable), and it is taken away from the api in Railway.
    const toml = readFileSync(join(repo.dir, "backend/railway.toml"), "utf8");
    const requiring = toml.replace(
      'required = ["CORS_ORIGIN"]',
      'required = ["CORS_ORIGIN", "PAYMENTS_API_KEY"]',
    );
    expect(requiring).not.toBe(toml);
    repo.commit({ "backend/railway.toml": requiring }, "api requires PAYMENTS_API_KEY");
    const project = [...emulator.state.projects.values()][0];
    const apiId = project?.services.find((service) => service.name === "api")?.id;
    const apiInstances = [...emulator.state.instances.values()].filter((i) => i.serviceId === apiId);
    expect(apiInstances.length).toBeGreaterThan(0);
    for (const instance of apiInstances) delete instance.variables.PAYMENTS_API_KEY;
    const missing = await act("missing variable", { mode: "redeploy", services: "api" });
    expect(missing.exitCode).not.toBe(0);
    expect(missing.stdout).toContain("PAYMENTS_API_KEY");

    // Every file the runs wrote: the workspace (tracked or not) and the runner's temp folder.
    const untracked = execFileSync("git", ["status", "--porcelain", "--ignored", "--untracked-files=all"], {
      cwd: repo.dir,
      encoding: "utf8",
    });
    captures.push({ name: "workspace: changed or untracked files list", text: untracked });
    for (const file of [...filesUnder(repo.dir), ...filesUnder(runTemp)])
      captures.push({ name: `file ${file}`, text: readFileSync(file, "latin1") });

    expect(captures.length).toBeGreaterThan(20);
    const leaks: string[] = [];
    // The split value: joined again, it is still nowhere.
    for (const capture of captures)
      if (
        capture.text.replace(/\n[^\n]*?\s*│?\s*/g, "").includes(values.apiExtra) &&
        !capture.text.includes(values.apiExtra)
      )
        leaks.push(`apiExtra split across lines in ${capture.name}`);
    // The short values' lines: nowhere in what the runs printed.
    for (const capture of captures.filter((c) => !c.name.startsWith("file ")))
      for (const line of [`pin is ${unmaskable.pin}`, `SWEEP_MODE=${unmaskable.mode}`])
        if (capture.text.includes(line)) leaks.push(`${JSON.stringify(line)} in ${capture.name}`);
    const lines = values.multiLine.split("\n");
    for (const [label, secret] of Object.entries({
      token,
      wrongToken,
      ...values,
      ...passwords,
      jsonLeaf,
      lines0: lines[0] as string,
      lines1: lines[1] as string,
    }))
      for (const form of forms(secret))
        for (const capture of captures)
          if (capture.text.includes(form))
            leaks.push(`${label} (as ${JSON.stringify(form)}) in ${capture.name}`);
    expect(leaks).toEqual([]);
  }, 300_000);
});
