// The action's front door: the one place that talks to the runner (inputs, secrets,
// annotations, job summary, outputs, PR comment, exit status). The work is in pipeline/.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import * as core from "@actions/core";
import * as github from "@actions/github";
import { InputError, readSettings, type Settings } from "./inputs.ts";
import { describeEvent, interruptOnSignals, runSession } from "./pipeline/session.ts";
import type { PipelineResult } from "./pipeline/types.ts";
import { upsertPlanComment } from "./report/comment.ts";
import { printable } from "./report/escape.ts";
import { annotationsFor, markdownReport, outputsFor, terminalReport } from "./report/render.ts";

async function postPlanComment(settings: Settings, result: PipelineResult): Promise<void> {
  const pr = github.context.payload.pull_request;
  if (!pr || !settings.githubToken || (settings.mode !== "plan" && settings.mode !== "validate")) return;
  try {
    const octokit = github.getOctokit(settings.githubToken);
    const how = await upsertPlanComment(
      octokit.rest.issues,
      { ...github.context.repo, issue_number: pr.number as number },
      markdownReport(result),
    );
    core.info(`railyard: plan comment ${how} on PR #${pr.number}`);
  } catch (error) {
    // A fork PR's token cannot write comments: the job summary still has the plan.
    core.warning(`railyard: could not comment on the PR: ${printable((error as Error).message)}`);
  }
}

export async function run(): Promise<void> {
  let settings: Settings;
  try {
    // The token untrimmed: readSettings trims it and says so (a secret pasted with a newline).
    settings = readSettings((name) => core.getInput(name, { trimWhitespace: name !== "railway-token" }));
  } catch (error) {
    core.setFailed(`railyard: ${printable(error instanceof InputError ? error.message : String(error))}`);
    if (error instanceof InputError) process.exitCode = 2;
    return;
  }
  if (settings.token) core.setSecret(settings.token);
  if (settings.tokenTrimmed)
    core.warning(
      "railyard: input railway-token: the token had whitespace around it (a trailing newline?); it was removed before use",
    );
  const workspace = process.env.GITHUB_WORKSPACE ?? process.cwd();
  if (!existsSync(resolve(workspace, settings.workingDirectory))) {
    core.setFailed(
      `railyard: input working-directory: ${settings.workingDirectory} does not exist in the workspace`,
    );
    return;
  }
  if (settings.githubToken) core.setSecret(settings.githubToken);

  const branch = process.env.GITHUB_HEAD_REF || process.env.GITHUB_REF_NAME || undefined;
  const signal = interruptOnSignals((name) =>
    core.warning(`railyard: ${name}: the run was cancelled; reporting what was deployed`),
  );
  const result = await runSession(settings, workspace, {
    signal,
    onSecret: (value) => core.setSecret(value),
    emit: (event) => core.info(describeEvent(event)),
    log: (message) => core.debug(message),
    branch,
  });

  for (const annotation of annotationsFor(result)) {
    const properties = {
      title: annotation.title,
      file: annotation.file,
      startLine: annotation.startLine,
      startColumn: annotation.startColumn,
    };
    if (annotation.severity === "error") core.error(annotation.message, properties);
    else if (annotation.severity === "warning") core.warning(annotation.message, properties);
    else core.notice(annotation.message, properties);
  }
  for (const [name, value] of Object.entries(outputsFor(result))) core.setOutput(name, value);
  if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(markdownReport(result)).write();
  await postPlanComment(settings, result);
  core.info(terminalReport(result));
  if (!result.ok) {
    core.setFailed(`railyard: ${printable(result.reason ?? "the run failed")}`);
    // 2: bad input such as a token Railway refuses (setFailed alone exits 1).
    if (result.exitCode !== undefined) process.exitCode = result.exitCode;
  }
}

// Exit as soon as the report is out: a library's idle timer (graphql-ws keeps a closed socket's
// lazy-close timer for 5 s) must not hold a cancelled job past GitHub's SIGKILL.
run()
  .catch((error) => core.setFailed(`railyard: unexpected error: ${printable((error as Error).message)}`))
  .finally(() => process.exit());
