// The control plane with the real ProcessRunner: source uploads of a tiny HTTP service run as
// real processes behind the service domain; a second deployment replaces the first (REMOVED),
// a rollback brings the first one's code back, and stop() leaves nothing listening.

import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RailwayClient } from "../../action/src/railway/client.ts";
import { type RunningEmulator, startEmulator } from "./index.ts";

const TOKEN = `process-test-${process.pid}-${Date.now()}`;
let emulator: RunningEmulator;
let client: RailwayClient;
let scratch: string;

function tarballOf(version: string): Uint8Array {
  const dir = join(scratch, version);
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({
      name: `hello-${version}`,
      version: "1.0.0",
      private: true,
      scripts: { start: "node server.js" },
    }),
  );
  writeFileSync(
    join(dir, "server.js"),
    `require("node:http").createServer((req, res) => {
  res.end(req.url === "/health" ? "ok" : "${version} " + (process.env.GREETING || "") + " " + process.env.RAILWAY_SERVICE_NAME);
}).listen(Number(process.env.PORT), "127.0.0.1");
process.on("SIGTERM", () => process.exit(0));
`,
  );
  const file = join(scratch, `${version}.tar.gz`);
  execFileSync("tar", ["-czf", file, "-C", dir, "."]);
  return new Uint8Array(readFileSync(file));
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), "railyard-process-it-"));
  emulator = await startEmulator({
    repoDir: process.cwd(),
    runner: "process",
    workDir: join(scratch, "work"),
    state: {
      projects: [
        {
          id: "p",
          name: "p",
          environments: [{ id: "e", name: "production" }],
          sharedVariables: { production: { GREETING: "hello" } },
          services: [
            {
              id: "s",
              name: "hello",
              settings: {
                healthcheckPath: "/health",
                healthcheckTimeout: 60,
                overlapSeconds: 0,
                drainingSeconds: 1,
              },
              variables: { production: { GREETING: "${{ shared.GREETING }}" } },
            },
          ],
        },
      ],
      tokens: [{ kind: "account", token: TOKEN }],
    },
  });
  client = new RailwayClient({ endpoint: emulator.graphqlUrl, token: TOKEN, tokenKind: "account" });
});

afterAll(async () => {
  await client?.close();
  await emulator?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function serving(domain: string): Promise<string> {
  return (await fetch(`http://${domain}/`)).text();
}

describe("the control plane with the process runner", () => {
  it("deploys uploads for real, replaces, rolls back, and stops everything", async () => {
    const [domain] = (await client.domains("p", "e", "s")).serviceDomains.map((d) => d.domain);
    expect(domain).toMatch(/^127\.0\.0\.1:\d+$/);

    const v1 = await client.uploadSource("p", "e", "s", tarballOf("v1"));
    expect((await client.watchDeployments([v1], {})).get(v1)?.status).toBe("SUCCESS");
    expect(await serving(domain as string)).toBe("v1 hello hello");

    const v2 = await client.uploadSource("p", "e", "s", tarballOf("v2"));
    expect((await client.watchDeployments([v2], {})).get(v2)?.status).toBe("SUCCESS");
    expect(await serving(domain as string)).toBe("v2 hello hello");
    expect(
      (await client.watchDeployments([v1], { isDone: (d) => d.status === "REMOVED" })).get(v1)?.status,
    ).toBe("REMOVED");

    await client.rollback(v1);
    const [rollback] = await client.deployments("p", "e", "s", 1);
    expect(rollback?.meta).toMatchObject({ reason: "rollback", sourceDeploymentId: v1 });
    expect(
      (await client.watchDeployments([rollback?.id as string], {})).get(rollback?.id as string)?.status,
    ).toBe("SUCCESS");
    expect(await serving(domain as string)).toBe("v1 hello hello");

    await emulator.stop();
    await expect(fetch(`http://${domain}/`)).rejects.toThrow();
    await expect(fetch(`${emulator.url}/_emulator/health`)).rejects.toThrow();
  });
});
