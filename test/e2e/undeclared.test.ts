// A service that exists in Railway but that no railway.toml declares is listed and left alone;
// only the explicit delete-undeclared input deletes it, and the run says so.
import { afterAll, describe, expect, it } from "vitest";
import { runPipeline } from "../../action/src/pipeline/run.ts";
import type { PipelineOptions } from "../../action/src/pipeline/types.ts";
import { RailwayClient } from "../../action/src/railway/client.ts";
import { terminalReport } from "../../action/src/report/render.ts";
import { type EmulatorStateFile, startEmulator } from "../../emulator/src/index.ts";
import { cloneRepo, stackState } from "./helpers.ts";

const repo = cloneRepo();
afterAll(() => repo.remove());

describe("resources Railway has and the files do not declare", () => {
  it("are only listed without delete-undeclared; with it they are deleted and the report says so", async () => {
    const { state, token, projectId } = stackState();
    state.projects[0].services.push({
      id: "svc-legacy",
      name: "legacy-worker",
      source: { repo: "railyard/railyard" },
      variables: { production: { OLD: "1" } },
    });
    const emulator = await startEmulator({
      state: state as EmulatorStateFile,
      repoDir: repo.dir,
      runner: "simulated",
      simulatedDurationMs: 200,
    });
    const client = new RailwayClient({ endpoint: emulator.graphqlUrl, token });
    const run = (options: Partial<PipelineOptions>) =>
      runPipeline(
        {
          mode: "deploy",
          repoDir: repo.dir,
          environment: "production",
          timeoutMs: 120_000,
          concurrency: 4,
          rollback: true,
          smoke: false,
          smokeTimeoutMs: 10_000,
          stabilityMs: 0,
          ...options,
        },
        { api: client },
      );
    const names = async () => (await client.project(projectId)).services.map((s) => s.name);
    try {
      const plan = await run({ mode: "plan", deleteUndeclared: true });
      expect(plan.resources?.find((r) => r.name === "legacy-worker")).toMatchObject({
        action: "delete",
        severity: "destructive",
      });
      expect(await names()).toContain("legacy-worker");

      const kept = await run({});
      expect(kept.reason).toBeUndefined();
      expect(kept.resources?.find((r) => r.name === "legacy-worker")).toMatchObject({ action: "keep" });
      expect(terminalReport(kept)).toContain("= keep   service  legacy-worker");
      expect(await names()).toContain("legacy-worker");

      const deleted = await run({ deleteUndeclared: true });
      expect(deleted.reason).toBeUndefined();
      expect(deleted.resources?.find((r) => r.name === "legacy-worker")).toMatchObject({ action: "delete" });
      expect(deleted.notes).toContain("deleted service legacy-worker (delete-undeclared is on)");
      expect(await names()).not.toContain("legacy-worker");
      // Declared services and databases are never among the deleted.
      expect((await names()).sort()).toEqual(
        [
          "General Data DB",
          "Redis",
          "User Data DB",
          "api",
          "data-poller",
          "frontend",
          "trading-engine",
        ].sort(),
      );
    } finally {
      await client.close();
      await emulator.stop();
    }
  }, 300_000);
});
