// Turns a PipelineResult into what people read: a terminal report, a job summary / PR
// comment in Markdown, annotations on config lines, and the action's outputs. Pure.
import type { PipelineResult } from "../pipeline/types.ts";
import { describeProblem } from "../pipeline/variables.ts";
import { mapStrings, printableDeep } from "./escape.ts";

export const COMMENT_MARKER = "<!-- railyard:plan -->";

export interface Annotation {
  severity: "error" | "warning" | "notice";
  message: string;
  title?: string;
  file?: string;
  startLine?: number;
  startColumn?: number;
}

const short = (sha?: string) => (sha ? sha.slice(0, 7) : "—");
const seconds = (ms?: number) => (ms === undefined ? "—" : `${(ms / 1000).toFixed(1)} s`);
// Strings are already printable and free of "<" (markdownReport): a cell must also not end its row.
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
const show = (value: unknown) => (value === null || value === undefined ? "(unset)" : JSON.stringify(value));

export function annotationsFor(raw: PipelineResult): Annotation[] {
  const result = printableDeep(raw);
  const annotations: Annotation[] = result.findings.map((finding) => ({
    severity: finding.severity,
    title: `railyard: ${finding.code}`,
    message: finding.suggestion ? `${finding.message} (${finding.suggestion})` : finding.message,
    file: finding.location.file,
    startLine: finding.location.line,
    startColumn: finding.location.column,
  }));
  for (const check of result.variables) {
    for (const problem of check.problems) {
      annotations.push({
        severity: "error",
        title: `railyard: variable ${problem.name} ${problem.problem}`,
        message: describeProblem(check.service, problem),
        file: problem.location.file,
        startLine: problem.location.line,
        startColumn: problem.location.column,
      });
    }
  }
  for (const note of result.notes)
    annotations.push({ severity: "warning", message: note, title: "railyard" });
  return annotations;
}

export interface Outputs {
  services: string;
  "frontend-url": string;
  "api-url": string;
  "deployed-services": string;
  result: string;
}

export function outputsFor(result: PipelineResult): Outputs {
  const services = result.plan.map((plan) => {
    const deployment = result.deployments.find((d) => d.service === plan.service);
    return {
      name: plan.service,
      deploy: plan.deploy,
      reason: plan.reason,
      deploymentId: deployment?.deploymentId ?? null,
      status: deployment?.status ?? null,
      url: result.urls.services[plan.service] ?? null,
    };
  });
  return {
    services: JSON.stringify(services),
    "frontend-url": result.urls.frontend ?? "",
    "api-url": result.urls.api ?? "",
    "deployed-services": result.deployments
      .filter((d) => d.status === "SUCCESS")
      .map((d) => d.service)
      .join(","),
    result: result.ok ? "success" : "failure",
  };
}

function headline(result: PipelineResult): string {
  const what = { validate: "Config check", plan: "Plan", deploy: "Deploy", redeploy: "Redeploy" }[
    result.mode
  ];
  return result.ok ? `${what} succeeded` : `${what} failed: ${result.reason ?? "unknown reason"}`;
}

export function markdownReport(raw: PipelineResult): string {
  // No user or Railway text may open HTML in the summary or comment (a tag, a spoofed marker).
  const result = mapStrings(printableDeep(raw), (text) => text.replace(/</g, "&lt;"));
  const lines: string[] = [COMMENT_MARKER, `## Railyard: ${cell(headline(result))}`, ""];
  if (result.commitSha) {
    lines.push(`Commit \`${short(result.commitSha)}\` → environment \`${result.environment}\``, "");
  }
  const errors = result.findings.filter((f) => f.severity === "error").length;
  const warnings = result.findings.length - errors;
  lines.push(
    `Config: ${errors} error${errors === 1 ? "" : "s"}, ${warnings} warning${warnings === 1 ? "" : "s"}`,
    "",
  );
  if (result.findings.length > 0) {
    lines.push("| | file | problem |", "|---|---|---|");
    for (const f of result.findings) {
      lines.push(
        `| ${f.severity} | \`${f.location.file}:${f.location.line}:${f.location.column}\` | ${cell(f.message)} |`,
      );
    }
    lines.push("");
  }
  if (result.resources?.length) {
    lines.push("### Resources", "", "| | what | name | | |", "|---|---|---|---|---|");
    for (const r of result.resources) {
      lines.push(
        `| ${RESOURCE_MARK[r.action]} ${r.action} | ${r.type} | ${cell(r.name)} | ${cell(r.detail)} | ${r.severity} |`,
      );
    }
    lines.push("");
  }
  if (result.plan.length > 0) {
    lines.push("### Plan", "", "| service | deploy | why |", "|---|---|---|");
    for (const p of result.plan)
      lines.push(`| ${p.service} | ${p.deploy ? "yes" : "no"} | ${cell(p.reason)} |`);
    lines.push("");
  }
  if (result.variables.length > 0) {
    lines.push("### Variables", "", "| service | required variables |", "|---|---|");
    for (const v of result.variables) {
      const text = v.ok
        ? "all present"
        : v.problems
            .map((p) => `${p.name} ${p.problem} (\`${p.location.file}:${p.location.line}\`)`)
            .join(", ");
      lines.push(`| ${v.service} | ${cell(text)} |`);
    }
    lines.push("");
  }
  const changed = result.settings.filter((s) => s.changes.length > 0);
  if (changed.length > 0) {
    lines.push(
      "### Settings, variables and domains",
      "",
      "| service | setting | Railway now | config | |",
      "|---|---|---|---|---|",
    );
    for (const s of changed) {
      for (const c of s.changes) {
        const state = `${c.severity === "destructive" ? "destructive, " : ""}${s.applied ? "applied" : "not applied"}`;
        lines.push(
          `| ${cell(s.service)} | ${cell(c.field)} | \`${cell(show(c.live))}\` | \`${cell(show(c.wanted))}\` | ${state} |`,
        );
      }
    }
    lines.push("");
  }
  if (result.deployments.length > 0) {
    lines.push(
      "### Deployments",
      "",
      "| service | status | duration | URL | deployment |",
      "|---|---|---|---|---|",
    );
    for (const d of result.deployments) {
      lines.push(
        `| ${d.service} | ${d.status} | ${seconds(d.durationMs)} | ${d.url ?? "—"} | \`${d.deploymentId ?? "—"}\` |`,
      );
    }
    lines.push("");
    for (const d of result.deployments.filter((x) => x.failure)) {
      lines.push(`<details><summary>${d.service}: ${cell(d.failure?.message ?? "")}</summary>`, "");
      // <pre>, not a fence: no log line can close it, and "<" is already escaped.
      if (d.failure?.logTail.length) lines.push(`<pre>${d.failure.logTail.join("\n")}</pre>`);
      lines.push("</details>", "");
    }
  }
  if (result.smoke.length > 0) {
    lines.push("### Smoke test", "", "| check | result |", "|---|---|");
    for (const s of result.smoke)
      lines.push(`| ${cell(s.name)} | ${s.skipped ? "⏭️" : s.ok ? "✅" : "❌"} ${cell(s.detail)} |`);
    lines.push("");
  }
  if (result.rollbacks.length > 0) {
    lines.push("### Rollback", "", "| service | result |", "|---|---|");
    for (const r of result.rollbacks)
      lines.push(`| ${r.service} | ${r.ok ? "✅" : "❌"} ${cell(r.detail)} |`);
    lines.push("");
  }
  if (result.notes.length > 0) {
    lines.push("### Notes", "", ...result.notes.map((n) => `- ${n}`), "");
  }
  if (result.budget) {
    const left =
      result.budget.remaining !== undefined
        ? `, ${result.budget.remaining}${result.budget.limit ? ` of ${result.budget.limit}` : ""} left this hour`
        : "";
    lines.push(`Railway API: ${result.budget.requests} requests${left}.`, "");
  }
  return lines.join("\n");
}

const RESOURCE_MARK = { create: "+", delete: "-", keep: "=" } as const;

export function terminalReport(raw: PipelineResult): string {
  const result = printableDeep(raw);
  const lines: string[] = [];
  if (result.commitSha) lines.push(`commit ${short(result.commitSha)} → environment ${result.environment}`);
  if (result.resources?.length) {
    const made = result.resources.filter((r) => r.action === "create").length;
    lines.push(
      "",
      made > 0 ? `resources (${made} to create${result.mode === "plan" ? "" : ", created"}):` : "resources:",
    );
    for (const r of result.resources) {
      lines.push(
        `  ${RESOURCE_MARK[r.action]} ${r.action.padEnd(6)} ${r.type.padEnd(8)} ${r.name}  ${r.detail}  [${r.severity}]`,
      );
    }
  }
  if (result.plan.length > 0) {
    lines.push("", "plan:");
    const width = result.plan.reduce((max, p) => Math.max(max, p.service.length), 0);
    for (const p of result.plan)
      lines.push(`  ${p.service.padEnd(width)}  ${p.deploy ? "deploy" : "skip  "}  ${p.reason}`);
  }
  for (const v of result.variables.filter((x) => !x.ok)) {
    for (const p of v.problems) lines.push(`  ✗ ${describeProblem(v.service, p)}`);
  }
  const changed = result.settings.filter((s) => s.changes.length > 0);
  if (changed.length > 0) {
    lines.push("", "settings:");
    for (const s of changed) {
      for (const c of s.changes) {
        lines.push(
          `  ${s.service}.${c.field}: ${show(c.live)} → ${show(c.wanted)}${s.applied ? " (applied)" : ""}`,
        );
      }
    }
  }
  if (result.deployments.length > 0) {
    lines.push("", "deployments:");
    for (const d of result.deployments) {
      lines.push(`  ${d.service}: ${d.status} in ${seconds(d.durationMs)}${d.url ? `  ${d.url}` : ""}`);
      if (d.failure) {
        lines.push(`    ${d.failure.message}`);
        for (const line of d.failure.logTail) lines.push(`    │ ${line}`);
      }
    }
  }
  if (result.smoke.length > 0) {
    lines.push("", "smoke test:");
    for (const s of result.smoke)
      lines.push(`  ${s.skipped ? "-" : s.ok ? "✓" : "✗"} ${s.name}: ${s.detail}`);
  }
  if (result.rollbacks.length > 0) {
    lines.push("", "rollback:");
    for (const r of result.rollbacks) lines.push(`  ${r.ok ? "✓" : "✗"} ${r.service}: ${r.detail}`);
  }
  if (result.notes.length > 0) {
    lines.push("", "notes:", ...result.notes.map((n) => `  - ${n}`));
  }
  if (result.urls.frontend || result.urls.api) {
    lines.push("");
    if (result.urls.frontend) lines.push(`frontend: ${result.urls.frontend}`);
    if (result.urls.api) lines.push(`api:      ${result.urls.api}`);
  }
  if (result.budget) {
    lines.push(
      `Railway API: ${result.budget.requests} requests${result.budget.remaining !== undefined ? `, ${result.budget.remaining} left` : ""}`,
    );
  }
  lines.push("", `railyard: ${headline(result)}`);
  return lines.join("\n");
}
