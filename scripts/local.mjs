// The main command (`npm run local`): installs what is missing, then starts a local Railway
// emulator with an EMPTY project and lets Railyard create the whole platform from this
// repository's files (services, PostgreSQL and Redis databases provisioned for real on this
// machine, variables, generated secrets, domains), deploy HEAD, smoke-test the frontend-to-API path with a browser, prints the report and the
// URLs, and keeps serving until Ctrl-C (`--exit` stops after the report).
//
//   node scripts/local.mjs [--exit] [--keep-databases] [--no-browser]
//
// Only Node's built-ins (and setup.mjs, which uses only those) are imported at the top: the npm
// packages are installed first.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { installNodePackages, installSystemPackages, SYSTEM_PACKAGES } from "./setup.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const args = new Set(process.argv.slice(2));
const say = (message) => console.log(`railyard local: ${message}`);
const fail = (message) => {
  console.error(`railyard local: ${message}`);
  process.exit(1);
};

const PG = {
  host: process.env.PGHOST ?? "127.0.0.1",
  port: Number(process.env.PGPORT ?? 5432),
  user: process.env.PGUSER ?? "postgres",
};
const REDIS = { host: process.env.REDIS_HOST ?? "127.0.0.1", port: Number(process.env.REDIS_PORT ?? 6379) };

/** Sends `payload` and resolves with the first answer, or rejects with why it could not connect. */
function probe(host, port, payload) {
  return new Promise((resolvePromise, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error("no answer within 3 s"));
    }, 3000);
    socket.on("connect", () => {
      if (!payload) {
        clearTimeout(timer);
        socket.end();
        resolvePromise("");
      } else socket.write(payload);
    });
    socket.on("data", (data) => {
      clearTimeout(timer);
      socket.end();
      resolvePromise(data.toString());
    });
    socket.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

async function checkServices() {
  const missing = [];
  try {
    await probe(PG.host, PG.port);
    execFileSync(
      "psql",
      ["-h", PG.host, "-p", String(PG.port), "-U", PG.user, "-d", "postgres", "-tAc", "select 1"],
      {
        stdio: "pipe",
      },
    );
  } catch (error) {
    missing.push(
      `PostgreSQL is not reachable at ${PG.host}:${PG.port} as user ${PG.user} (${error.code ?? error.message.split("\n")[0]}).\n` +
        "  Start it, e.g. `sudo service postgresql start`, or `docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16`;\n" +
        "  set PGHOST / PGPORT / PGUSER if it runs elsewhere.",
    );
  }
  try {
    const answer = await probe(REDIS.host, REDIS.port, "PING\r\n");
    if (!answer.startsWith("+PONG"))
      throw new Error(`unexpected answer ${JSON.stringify(answer.slice(0, 40))}`);
  } catch (error) {
    missing.push(
      `Redis is not reachable at ${REDIS.host}:${REDIS.port} (${error.code ?? error.message}).\n` +
        "  Start it, e.g. `sudo service redis-server start`, or `docker run -d -p 6379:6379 redis:7`;\n" +
        "  set REDIS_HOST / REDIS_PORT if it runs elsewhere.",
    );
  }
  try {
    // Each Redis database the emulator creates is a redis-server process of its own.
    execFileSync("redis-server", ["--version"], { stdio: "pipe" });
  } catch (error) {
    missing.push(
      `the redis-server program is not on PATH (${error.code ?? error.message}); the emulator runs one per Redis database.\n` +
        "  Install it, e.g. `sudo apt-get install -y redis-server`.",
    );
  }
  if (missing.length > 0) fail(`cannot deploy locally:\n${missing.map((m) => `- ${m}`).join("\n")}`);
}

/**
 * An empty Railway project: one environment, no services, no variables. Railyard creates the
 * services, databases, volumes, variables, secrets and domains from this repository's files.
 */
export function localState({ token }) {
  const project = {
    id: "proj-railyard",
    name: "railyard",
    environments: [{ id: "env-production", name: "production" }],
    services: [],
  };
  return {
    state: {
      projects: [project],
      tokens: [{ kind: "project", token, name: "local", project: project.id, environment: "env-production" }],
    },
    projectId: project.id,
    environment: "production",
  };
}

/** The first report line of a run that changed nothing: what it created and deployed. */
export function secondRunSummary(result) {
  const created = (result.resources ?? []).filter((row) => row.action === "create");
  const deployed = result.deployments.filter((d) => d.deploymentId);
  return `second run against the same emulator: created ${created.length === 0 ? "nothing" : created.map((r) => `${r.type} ${r.name}`).join(", ")}, deployed ${deployed.length === 0 ? "nothing" : deployed.map((d) => d.service).join(", ")}`;
}

/** Why the smoke test had no browser check, or undefined when it had one. */
export function browserCheckNote(browserPath, system, browsers, noBrowser = false) {
  if (browserPath !== undefined) return undefined;
  if (noBrowser) return "browser check: did not run (--no-browser)";
  const why = system.missing.includes("chromium") && system.reason ? `: ${system.reason}` : "";
  return `browser check: did not run: no Chromium or Chrome at ${browsers.join(", ")}${why}`;
}

async function main() {
  say("installing what is missing (npm packages; as root on Debian, the system packages npm test uses)");
  installNodePackages();
  // The same system packages as `npm test` (chromium for the smoke test's browser check,
  // podman for the backend image); without root or apt-get the run goes on and says why.
  const system = installSystemPackages(SYSTEM_PACKAGES, { optional: true });
  await checkServices();

  const token = `local-${randomBytes(16).toString("hex")}`;
  const { state, projectId, environment } = localState({ token });
  say("the Railway project starts empty: Railyard creates every service, database, variable and domain");

  await import("tsx/esm/api").then((tsx) => tsx.register());
  const { startEmulator } = await import(pathToFileURL(join(root, "emulator/src/index.ts")).href);
  const { runSession, describeEvent } = await import(
    pathToFileURL(join(root, "action/src/pipeline/session.ts")).href
  );
  const { readSettings, BROWSERS } = await import(pathToFileURL(join(root, "action/src/inputs.ts")).href);
  const { terminalReport } = await import(pathToFileURL(join(root, "action/src/report/render.ts")).href);

  const workDir = mkdtempSync(join(tmpdir(), "railyard-local-"));
  let emulator;
  let stopping = false;
  const cleanUp = async () => {
    if (stopping) return;
    stopping = true;
    say("stopping the services and the emulator");
    // The emulator drops the databases it created and stops its Redis (unless --keep-databases).
    await emulator?.stop().catch(() => undefined);
    rmSync(workDir, { recursive: true, force: true });
  };
  process.on("SIGINT", () => cleanUp().then(() => process.exit(130)));
  process.on("SIGTERM", () => cleanUp().then(() => process.exit(143)));

  let ok = false;
  try {
    emulator = await startEmulator({
      state,
      repoDir: root,
      runner: "process",
      workDir,
      postgres: PG,
      keepDatabases: args.has("--keep-databases"),
    });
    say(`emulator at ${emulator.graphqlUrl}`);
    const inputs = {
      mode: "deploy",
      "railway-token": token,
      "project-id": projectId,
      environment,
      endpoint: emulator.graphqlUrl,
      "browser-path": args.has("--no-browser") ? "none" : "auto",
      "stability-seconds": "5",
      "timeout-minutes": "20",
      "smoke-timeout-minutes": "3",
    };
    const settings = readSettings((name) => inputs[name] ?? "");
    const browserNote = browserCheckNote(settings.browserPath, system, BROWSERS, args.has("--no-browser"));
    const result = await runSession(settings, root, { emit: (event) => console.log(describeEvent(event)) });
    console.log(`\n${terminalReport(result)}`);
    if (browserNote !== undefined) console.log(`\n${browserNote}`);
    ok = result.ok;
    if (ok) {
      // The proof that the files are the whole truth: the same run again changes nothing.
      const again = await runSession(settings, root, { emit: () => undefined });
      console.log(`\n${secondRunSummary(again)}`);
      ok = again.ok;
      if (!again.ok) console.log(terminalReport(again));
    }
    if (ok && !args.has("--exit")) {
      console.log(
        `\nServing until Ctrl-C:\n  frontend  ${result.urls.frontend ?? "?"}\n  api       ${result.urls.api ?? "?"}`,
      );
      await new Promise(() => undefined);
    }
  } catch (error) {
    console.error(`railyard local: ${error.message}`);
  } finally {
    await cleanUp();
  }
  process.exit(ok ? 0 : 1);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
