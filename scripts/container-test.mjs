// The container proof (`npm test` step "container"): builds backend/Dockerfile, unchanged, with
// podman, runs every role against the machine's PostgreSQL and Redis with the variables an
// operator sets in Railway, and checks the image itself. Prints a results table, writes
// .railyard/container-results.json for the benchmark, exits 0 only when every check passed.
// Plain Node ESM, built-ins only. See docs/container.md.
//
//   node scripts/container-test.mjs          build (reusing podman's layer cache) and check
//   node scripts/container-test.mjs --cold   build without the layer cache (a cold build's time)
import { createHash, randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { BACKEND_TAG, buildBackendImage } from "./container/backend-image.mjs";
import { BASE_IMAGE, ensureBaseImage } from "./container/base-image.mjs";
import { hasCommand, podman, run, seconds } from "./container/podman.mjs";
import {
  containerLogs,
  createDatabase,
  deleteRedisPrefix,
  dropDatabase,
  freePort,
  isRunning,
  psql,
  redisCommand,
  redisInteger,
  removeContainer,
  runToCompletion,
  startDetached,
  stopContainer,
  waitFor,
} from "./container/stack.mjs";

const ROOT = resolve(import.meta.dirname ?? new URL(".", import.meta.url).pathname, "..");
const BACKEND_DIR = join(ROOT, "backend");
const RESULTS_FILE = join(ROOT, ".railyard", "container-results.json");
const ROLES = ["api", "data-poller", "trading-engine"];
const DRAINING_SECONDS = 30; // backend/railway.toml [deploy] drainingSeconds
// The application's own layers (production node_modules, dist, package.json) on top of the base
// image. Today ~2 MB; 20 MB leaves room for a few more runtime dependencies while catching a
// copied dev tree (backend/node_modules with typescript and vitest is ~70 MB) or build context.
const APP_LAYERS_BUDGET_MB = 20;

const cold = process.argv.includes("--cold");
const runId = randomBytes(4).toString("hex");
const secrets = {
  masterKey: randomBytes(32).toString("hex"),
  databasePassword: `ct-pw-${randomBytes(12).toString("hex")}`,
};
const results = [];
const timings = {};
const cleanups = [];

function redact(text) {
  let out = String(text);
  for (const value of Object.values(secrets)) out = out.split(value).join("[secret]");
  return out;
}

async function check(group, name, body) {
  const started = performance.now();
  let entry;
  try {
    const detail = await body();
    entry = { group, name, ok: true, detail: redact(detail ?? "") };
  } catch (error) {
    entry = {
      group,
      name,
      ok: false,
      detail: redact(error instanceof Error ? error.message : String(error)),
    };
  }
  entry.seconds = seconds(performance.now() - started);
  results.push(entry);
  console.log(
    `${entry.ok ? "  ok  " : "  FAIL"} ${group} · ${name}${entry.detail ? ` — ${entry.detail}` : ""}`,
  );
  return entry.ok;
}

function notRun(group, names, reason) {
  for (const name of names) {
    results.push({ group, name, ok: false, detail: `not run: ${reason}`, seconds: 0 });
    console.log(`  FAIL ${group} · ${name} — not run: ${reason}`);
  }
}

function assert(condition, message) {
  if (!condition) throw new Error(message);
}

/** Throws (ending waitFor at once) when the container has exited, with the end of its output (redacted later). */
async function assertRunning(name, role) {
  if (await isRunning(name)) return;
  const tail = (await containerLogs(name)).trim().split("\n").slice(-5).join(" | ");
  throw Object.assign(new Error(`${role} exited: ${tail}`), { fatal: true });
}

function hasStackTrace(output) {
  return /^\s+at .+:\d+:\d+\)?$/m.test(output);
}

// ── preflight ────────────────────────────────────────────────────────────────────────────

async function preflight() {
  return check("setup", "podman, runc, psql, redis-cli, PostgreSQL and Redis are available", async () => {
    const missing = ["podman", "runc", "psql", "redis-cli", "tar"].filter((command) => !hasCommand(command));
    assert(
      missing.length === 0,
      `missing ${missing.join(", ")} (apt-get install -y podman runc debootstrap postgresql-client redis-tools)`,
    );
    await psql("postgres", "SELECT 1");
    assert((await redisCommand("PING")) === "PONG", "Redis at 127.0.0.1:6379 did not answer PING");
    const version = (await podman(["--version"])).stdout.trim();
    return version;
  });
}

// ── image ────────────────────────────────────────────────────────────────────────────────

async function buildImage() {
  let ok = await check("build", `base image ${BASE_IMAGE} (local stand-in)`, async () => {
    const base = await ensureBaseImage({ log: (line) => console.log(`    base image: ${line}`) });
    timings.baseImage = { source: base.source, seconds: seconds(base.ms) };
    return `${base.source} in ${seconds(base.ms)} s`;
  });
  if (!ok) return false;
  ok = await check("build", `backend/Dockerfile builds${cold ? " (cold, --no-cache)" : ""}`, async () => {
    const dockerfile = readFileSync(join(BACKEND_DIR, "Dockerfile"));
    const build = await buildBackendImage({
      contextDir: BACKEND_DIR,
      tag: BACKEND_TAG,
      extraArgs: cold ? ["--no-cache"] : [],
      log: (line) => console.log(`    ${line}`),
    });
    const steps = (build.output.match(/^\[\d+\/\d+\] STEP /gm) ?? []).length;
    const cached = (build.output.match(/^--> Using cache /gm) ?? []).length;
    timings.build = {
      seconds: seconds(build.ms),
      cold,
      steps,
      cachedSteps: cached,
      dockerfileSha256: createHash("sha256").update(dockerfile).digest("hex"),
    };
    if (build.code !== 0) {
      const error = build.output.split("\n").findLast((line) => line.startsWith("Error:")) ?? "";
      throw new Error(`podman build exited ${build.code}: ${error}`);
    }
    return `${seconds(build.ms)} s, ${cached} of ${steps} steps from cache`;
  });
  return ok;
}

async function imageInspect(name) {
  const inspected = await podman(["image", "inspect", "--format", "json", name]);
  if (inspected.code !== 0) throw new Error(`podman image inspect ${name}: ${inspected.stderr.trim()}`);
  const [image] = JSON.parse(inspected.stdout);
  return image;
}

// Files that must never be in the image, searched over the whole filesystem as root.
const FORBIDDEN_FILES_SCRIPT = `find / -xdev \\( -path /proc -o -path /sys -o -path /dev \\) -prune -o \\( \
-name .git -o -name .env -o -name '.env.*' -o -name .npmrc -o -name npmrc -o -name '*.pem' -o -name '*.key' \
-o -name '*.p12' -o -name 'id_rsa*' -o -name 'id_ed25519*' -o -name '*.crt' -o -path '/run/secrets/*' \\) -print`;
const TEST_FILES_SCRIPT = `find /app -path /app/node_modules -prune -o \\( -name '*.test.*' -o -name '*.spec.*' \
-o -name test -o -name tests -o -name __tests__ -o -name 'vitest.config.*' -o -name '*.ts' -o -name bench \
-o -name tsconfig.json -o -name 'tsconfig.*.json' -o -name src -o -name Dockerfile -o -name '*.md' \\) -print`;
const MODULES_SCRIPT = 'cd /app/node_modules && for d in * @*/*; do [ -d "$d" ] && echo "$d"; done';

async function imageChecks() {
  const image = await imageInspect(BACKEND_TAG);
  const inContainer = async (label, script, user) => {
    const result = await runToCompletion({
      name: `railyard-ct-${runId}-${label}`,
      image: BACKEND_TAG,
      env: {},
      command: ["sh", "-c", script],
      user,
    });
    if (result.code !== 0 && result.code !== 1)
      throw new Error(`${label} exited ${result.code}: ${result.output}`);
    return result.output.split("\n").filter(Boolean);
  };

  await check("image", "runs as a non-root user (uid 1000)", async () => {
    const user = image.Config?.User ?? "";
    assert(user !== "" && user !== "root" && user !== "0", `image USER is "${user || "(unset, root)"}"`);
    const [uid] = await inContainer("uid", "id -u");
    assert(uid === "1000", `id -u inside the container is ${uid}`);
    return `USER ${user}, id -u = ${uid}`;
  });

  await check("image", "no dev dependencies in node_modules", async () => {
    const pkg = JSON.parse(readFileSync(join(BACKEND_DIR, "package.json"), "utf8"));
    const modules = new Set(await inContainer("modules", MODULES_SCRIPT));
    const dev = Object.keys(pkg.devDependencies ?? {});
    const leaked = [
      ...dev,
      "typescript",
      "vitest",
      "@vitest/runner",
      "tsx",
      "esbuild",
      "@biomejs/biome",
    ].filter((name) => modules.has(name));
    const types = [...modules].filter((name) => name.startsWith("@types/"));
    assert(leaked.length + types.length === 0, `dev packages inside: ${[...leaked, ...types].join(", ")}`);
    const missing = Object.keys(pkg.dependencies ?? {}).filter((name) => !modules.has(name));
    assert(missing.length === 0, `production dependencies missing: ${missing.join(", ")}`);
    return `${modules.size} packages, none of ${dev.length} devDependencies`;
  });

  await check("image", "no test files, sources or build config in /app", async () => {
    const found = await inContainer("tests", TEST_FILES_SCRIPT);
    assert(found.length === 0, `found: ${found.slice(0, 8).join(", ")}`);
    return "only dist/, node_modules/, package.json";
  });

  await check("image", "no .git, .env, npmrc, keys or certificates anywhere in the image", async () => {
    const found = (await inContainer("secrets", FORBIDDEN_FILES_SCRIPT, "0")).filter(
      (line) => !line.startsWith("find:"),
    );
    assert(found.length === 0, `found: ${found.slice(0, 8).join(", ")}`);
    const env = (image.Config?.Env ?? []).map((entry) => entry.split("=")[0]);
    const secretish = env.filter((name) => /KEY|SECRET|TOKEN|PASSWORD|DATABASE_URL|REDIS_URL/i.test(name));
    assert(secretish.length === 0, `image ENV defines ${secretish.join(", ")}`);
    return `image ENV: ${env.join(", ")}`;
  });

  await check(
    "image",
    `size within budget (app layers ≤ ${APP_LAYERS_BUDGET_MB} MB over the base)`,
    async () => {
      const base = await imageInspect(BASE_IMAGE);
      const appBytes = image.Size - base.Size;
      const mb = (bytes) => Math.round(bytes / 1e5) / 10;
      timings.imageSize = {
        bytes: image.Size,
        mb: mb(image.Size),
        baseMb: mb(base.Size),
        appLayersMb: mb(appBytes),
        appLayersBudgetMb: APP_LAYERS_BUDGET_MB,
      };
      assert(appBytes <= APP_LAYERS_BUDGET_MB * 1e6, `app layers are ${mb(appBytes)} MB`);
      return `${mb(image.Size)} MB total = base ${mb(base.Size)} MB + app ${mb(appBytes)} MB`;
    },
  );
}

async function layerCacheCheck() {
  await check("image", "a one-line source change rebuilds without re-running npm ci", async () => {
    const copy = mkdtempSync(join(tmpdir(), "railyard-ct-rebuild-"));
    const tag = `localhost/railyard-backend:rebuild-${runId}`;
    try {
      const tar = await run("sh", [
        "-c",
        'tar -C "$1" --exclude=./node_modules --exclude=./dist -cf - . | tar -C "$2" -xf -',
        "copy",
        BACKEND_DIR,
        copy,
      ]);
      assert(tar.code === 0, `copying backend/ failed: ${tar.stderr}`);
      const main = join(copy, "src", "main.ts");
      writeFileSync(main, `${readFileSync(main, "utf8")}// rebuild probe ${runId}\n`);
      const build = await buildBackendImage({ contextDir: copy, tag });
      assert(build.code === 0, `rebuild failed (exit ${build.code})`);
      const lines = build.output.split("\n").filter((line) => line.trim() !== "");
      const stepOutcome = (pattern) =>
        lines.flatMap((line, index) => {
          if (!/STEP \d+\/\d+:/.test(line) || !pattern.test(line)) return [];
          const next = lines.slice(index + 1).find((candidate) => candidate.startsWith("-->")) ?? "";
          return [next.startsWith("--> Using cache")];
        });
      const npmCi = stepOutcome(/npm ci/);
      const copySrc = stepOutcome(/COPY src/);
      timings.rebuild = {
        seconds: seconds(build.ms),
        npmCiSteps: npmCi.length,
        npmCiCached: npmCi.length > 0 && npmCi.every(Boolean),
      };
      assert(npmCi.length > 0, "no npm ci step found in the build output");
      assert(
        npmCi.every(Boolean),
        `npm ci ran again (${npmCi.filter((cached) => !cached).length} step(s) not cached)`,
      );
      assert(
        copySrc.length > 0 && !copySrc.some(Boolean),
        "the changed src/ was not copied anew (change not seen)",
      );
      return `${seconds(build.ms)} s; ${npmCi.length} npm ci step(s) "Using cache", COPY src rebuilt`;
    } finally {
      rmSync(copy, { recursive: true, force: true });
      await podman(["rmi", "--ignore", tag]);
    }
  });
}

// ── roles ────────────────────────────────────────────────────────────────────────────────

async function roleChecks() {
  const databases = { user: `railyard_ct_${runId}_user`, general: `railyard_ct_${runId}_general` };
  const prefix = `railyard-ct-${runId}:`;
  const names = Object.fromEntries(
    [...ROLES, "migrate"].map((role) => [role, `railyard-ct-${runId}-${role}`]),
  );
  cleanups.push(async () => {
    for (const name of Object.values(names)) await removeContainer(name);
    for (const database of Object.values(databases)) await dropDatabase(database).catch(() => undefined);
    await deleteRedisPrefix(prefix).catch(() => undefined);
  });
  for (const database of Object.values(databases)) await createDatabase(database);

  const url = (database) => `postgresql://postgres:${secrets.databasePassword}@127.0.0.1:5432/${database}`;
  const port = await freePort();
  // What an operator sets in Railway for each service (backend/railway.toml's required variables).
  const shared = {
    USER_DATABASE_URL: url(databases.user),
    GENERAL_DATABASE_URL: url(databases.general),
    REDIS_URL: "redis://127.0.0.1:6379",
    MASTER_ENCRYPTION_KEY: secrets.masterKey,
    REDIS_KEY_PREFIX: prefix,
    RAILWAY_ENVIRONMENT_NAME: "container-test",
  };
  const envFor = (role) => ({
    ...shared,
    CONTAINER_ROLE: role,
    RAILWAY_SERVICE_NAME: role,
    ...(role === "api" ? { CORS_ORIGIN: "https://app.railyard.test", PORT: String(port) } : {}),
  });
  const outputs = [];

  const migrated = await check(
    "roles",
    "pre-deploy migration (node dist/migrate.js) migrates both databases",
    async () => {
      const result = await runToCompletion({
        name: names.migrate,
        image: BACKEND_TAG,
        env: envFor("api"),
        command: ["node", "dist/migrate.js"],
      });
      outputs.push({ source: "migrate", output: result.output });
      assert(
        result.code === 0,
        `exit ${result.code}: ${result.output.trim().split("\n").slice(-3).join(" | ")}`,
      );
      const user = await psql(databases.user, "SELECT count(*) FROM schema_migrations");
      const general = await psql(databases.general, "SELECT count(*) FROM schema_migrations");
      assert(
        Number(user) > 0 && Number(general) > 0,
        `schema_migrations rows: user ${user}, general ${general}`,
      );
      return `exit 0 in ${seconds(result.ms)} s; ${user} + ${general} migrations applied`;
    },
  );
  if (!migrated) {
    notRun(
      "roles",
      ROLES.map((role) => `${role} runs`),
      "the migration failed",
    );
    return outputs;
  }

  const running = new Set();
  await check("roles", "api answers /ready 200 (and /health, /version, /api/status)", async () => {
    await startDetached({ name: names.api, image: BACKEND_TAG, env: envFor("api") });
    running.add("api");
    const ready = await waitFor(
      "api /ready 200",
      async () => {
        await assertRunning(names.api, "api");
        const response = await fetch(`http://127.0.0.1:${port}/ready`);
        return response.status === 200;
      },
      { timeoutMs: 60_000 },
    );
    const statuses = [];
    for (const path of ["/health", "/version", "/api/status"]) {
      const response = await fetch(`http://127.0.0.1:${port}${path}`, {
        headers: { origin: "https://app.railyard.test" },
      });
      statuses.push(`${path} ${response.status}`);
      assert(response.status === 200, `${path} answered ${response.status}`);
    }
    timings.apiReadySeconds = seconds(ready.ms);
    return `/ready 200 after ${seconds(ready.ms)} s; ${statuses.join(", ")}`;
  });

  // A user strategy that buys on any BTC-USD price: the first tick the engine sees makes an order.
  const strategyId = await psql(
    databases.user,
    `WITH u AS (INSERT INTO users (email) VALUES ('container-test-${runId}@railyard.test') RETURNING id)
     INSERT INTO strategies (user_id, symbol, buy_below, sell_above, quantity)
     SELECT id, 'BTC-USD', 999999999, 999999999999, 0.5 FROM u RETURNING id`,
  ).catch((error) => {
    notRun("roles", ["trading-engine records orders"], `seeding a strategy failed: ${error.message}`);
    return undefined;
  });

  await check("roles", "data-poller's ticks reach PostgreSQL (general DB) and the Redis stream", async () => {
    await startDetached({ name: names["data-poller"], image: BACKEND_TAG, env: envFor("data-poller") });
    running.add("data-poller");
    const stored = await waitFor("published ticks in the general database", async () => {
      await assertRunning(names["data-poller"], "data-poller");
      return Number(
        await psql(databases.general, "SELECT count(*) FROM ticks WHERE published_at IS NOT NULL"),
      );
    });
    const streamLength = await redisInteger("XLEN", `${prefix}ticks`);
    assert(streamLength > 0, `stream ${prefix}ticks is empty`);
    const heartbeat = await redisInteger("EXISTS", `${prefix}heartbeat:data-poller`);
    assert(heartbeat === 1, `no heartbeat key ${prefix}heartbeat:data-poller`);
    return `${stored.value} published ticks after ${seconds(stored.ms)} s; XLEN ${prefix}ticks = ${streamLength}; heartbeat key set`;
  });

  if (strategyId !== undefined) {
    await check("roles", "trading-engine records orders for a user strategy", async () => {
      await startDetached({
        name: names["trading-engine"],
        image: BACKEND_TAG,
        env: envFor("trading-engine"),
      });
      running.add("trading-engine");
      const order = await waitFor("an order in the user database", async () => {
        await assertRunning(names["trading-engine"], "trading-engine");
        return await psql(
          databases.user,
          `SELECT tick_id || ' ' || side FROM orders WHERE strategy_id = ${Number(strategyId)} LIMIT 1`,
        );
      });
      const [tickId, side] = order.value.split(" ");
      const tick = await psql(
        databases.general,
        `SELECT count(*) FROM ticks WHERE id = '${tickId?.replace(/'/g, "''")}'`,
      );
      assert(tick === "1", `order's tick ${tickId} is not in the general database`);
      const heartbeat = await redisInteger("EXISTS", `${prefix}heartbeat:trading-engine`);
      assert(heartbeat === 1, `no heartbeat key ${prefix}heartbeat:trading-engine`);
      return `${side} order for tick ${tickId} after ${seconds(order.ms)} s`;
    });
  }

  const stops = await Promise.all(
    ROLES.filter((role) => running.has(role)).map(async (role) => ({
      role,
      wasRunning: await isRunning(names[role]),
      stop: await stopContainer(names[role], DRAINING_SECONDS),
      logs: await containerLogs(names[role]),
    })),
  );
  timings.stopSeconds = {};
  for (const role of ROLES) {
    const stopped = stops.find((entry) => entry.role === role);
    if (!stopped) {
      notRun("roles", [`${role} stops on SIGTERM within ${DRAINING_SECONDS} s`], `${role} never started`);
      continue;
    }
    outputs.push({ source: role, output: stopped.logs });
    timings.stopSeconds[role] = seconds(stopped.stop.ms);
    await check("roles", `${role} stops on SIGTERM within ${DRAINING_SECONDS} s, exit 0`, async () => {
      assert(stopped.wasRunning, `${role} had already exited (code ${stopped.stop.code}) before SIGTERM`);
      assert(stopped.stop.code === 0, `exit code ${stopped.stop.code} after SIGTERM`);
      assert(stopped.stop.ms < DRAINING_SECONDS * 1000, `took ${seconds(stopped.stop.ms)} s`);
      return `exit 0 after ${seconds(stopped.stop.ms)} s`;
    });
  }

  await check("roles", "an unknown CONTAINER_ROLE exits non-zero, listing the valid roles", async () => {
    const result = await runToCompletion({
      name: `railyard-ct-${runId}-unknown-role`,
      image: BACKEND_TAG,
      env: envFor("market-maker"),
    });
    outputs.push({ source: "unknown role", output: result.output });
    assert(result.code !== 0, "exit code 0");
    const missingRoles = ROLES.filter((role) => !result.output.includes(role));
    assert(
      result.output.includes("CONTAINER_ROLE"),
      `message does not name CONTAINER_ROLE: ${result.output.trim()}`,
    );
    assert(
      missingRoles.length === 0,
      `message does not list ${missingRoles.join(", ")}: ${result.output.trim()}`,
    );
    assert(!hasStackTrace(result.output), "printed a stack trace");
    return `exit ${result.code}: ${result.output.trim().split("\n")[0]}`;
  });

  const required = [
    "USER_DATABASE_URL",
    "GENERAL_DATABASE_URL",
    "REDIS_URL",
    "MASTER_ENCRYPTION_KEY",
    "CORS_ORIGIN",
  ];
  await check(
    "roles",
    "a missing variable is named, with no value printed (each required variable of api)",
    async () => {
      const messages = [];
      for (const variable of required) {
        const env = envFor("api");
        delete env[variable];
        const result = await runToCompletion({
          name: `railyard-ct-${runId}-missing`,
          image: BACKEND_TAG,
          env,
        });
        outputs.push({ source: `missing ${variable}`, output: result.output });
        assert(result.code !== 0, `without ${variable}: exit code 0`);
        assert(
          result.output.includes(variable),
          `without ${variable}: the message does not name it: ${result.output.trim()}`,
        );
        assert(!hasStackTrace(result.output), `without ${variable}: printed a stack trace`);
        for (const [name, value] of Object.entries(env)) {
          if (value.length >= 8 && /URL|KEY/.test(name)) {
            assert(
              !result.output.includes(value),
              `without ${variable}: the output contains the value of ${name}`,
            );
          }
        }
        messages.push(variable);
      }
      return `exit 1 naming ${messages.join(", ")}`;
    },
  );

  return outputs;
}

async function secretsCheck(outputs) {
  await check("roles", "no secret value in any container output", async () => {
    assert(outputs.length > 0, "no container output was collected");
    const leaks = [];
    for (const { source, output } of outputs) {
      for (const [name, value] of Object.entries(secrets))
        if (output.includes(value)) leaks.push(`${name} in ${source}`);
    }
    assert(leaks.length === 0, `leaked: ${leaks.join(", ")}`);
    return `${outputs.length} outputs searched for the encryption key and the database password`;
  });
}

// ── report ───────────────────────────────────────────────────────────────────────────────

function printTable(totalSeconds) {
  const rows = results.map((entry) => [
    entry.ok ? "pass" : "FAIL",
    entry.group,
    entry.name,
    `${entry.seconds}s`,
  ]);
  const widths = [4, 5, 0, 0].map((min, column) => Math.max(min, ...rows.map((row) => row[column].length)));
  const line = (cells) => cells.map((cell, column) => cell.padEnd(widths[column])).join("  ");
  console.log(`\n${line(["", "group", "check", "time"])}`);
  for (const row of rows) console.log(line(row));
  const passed = results.filter((entry) => entry.ok).length;
  console.log(
    `\ncontainer: ${passed} passed, ${results.length - passed} failed in ${totalSeconds} s` +
      (timings.build
        ? ` · build ${timings.build.seconds} s (${timings.build.cachedSteps}/${timings.build.steps} cached)`
        : "") +
      (timings.rebuild ? ` · one-line rebuild ${timings.rebuild.seconds} s` : "") +
      (timings.imageSize
        ? ` · image ${timings.imageSize.mb} MB (app ${timings.imageSize.appLayersMb} MB)`
        : ""),
  );
}

async function main() {
  const started = performance.now();
  const stop = async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup().catch(() => undefined);
  };
  process.on("SIGINT", () => stop().then(() => process.exit(130)));
  console.log(`container proof ${runId}: building ${BACKEND_TAG} from backend/Dockerfile with podman`);
  try {
    if (await preflight()) {
      if (await buildImage()) {
        await imageChecks();
        const outputs = await roleChecks().catch(async (error) => {
          await check("roles", "role checks set up", () => Promise.reject(error));
          return [];
        });
        if (outputs.length > 0) await secretsCheck(outputs);
        await layerCacheCheck();
      } else {
        notRun("image", ["image checks", "role checks"], "the image did not build");
      }
    }
  } finally {
    await stop();
  }
  const totalSeconds = seconds(performance.now() - started);
  timings.totalSeconds = totalSeconds;
  printTable(totalSeconds);
  const passed = results.filter((entry) => entry.ok).length;
  mkdirSync(join(ROOT, ".railyard"), { recursive: true });
  writeFileSync(
    RESULTS_FILE,
    `${JSON.stringify(
      {
        finishedAt: new Date().toISOString(),
        image: BACKEND_TAG,
        baseImage: BASE_IMAGE,
        passed,
        failed: results.length - passed,
        timings,
        checks: results,
      },
      null,
      2,
    )}\n`,
  );
  console.log(`results: ${RESULTS_FILE}`);
  process.exit(passed === results.length ? 0 : 1);
}

main().catch((error) => {
  console.error(`container proof: ${redact(error instanceof Error ? error.message : String(error))}`);
  process.exit(1);
});
