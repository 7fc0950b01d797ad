// Stage 3: which services to deploy, and why. Finding changed files (git) is separate from
// matching them (watch.ts), so each is tested alone.

import { posix } from "node:path";
import type { ServiceConfig, ServiceSettings } from "../config/types.ts";
import { changedFiles, fetchHistoryFor, hasCommit, isAncestor, isShallow, listTree } from "../git/git.ts";
import { triggeringFiles, unmatchedWatchPatterns, watchScope } from "../git/watch.ts";
import type { DeploymentInfo } from "../railway/types.ts";
import type { ServicePlan } from "./types.ts";

export interface LiveService {
  config: ServiceConfig;
  serviceId: string;
  /** The deployment currently serving (latest SUCCESS), if any. */
  live?: DeploymentInfo;
  settingsDiffer: boolean;
  /** What differs, for the reason ("settings", "variables", "settings and variables", ...); default "settings". */
  differs?: string;
  source: "commit" | "upload";
  wanted: ServiceSettings;
}

export function commitOf(deployment: DeploymentInfo | undefined): string | undefined {
  const hash = deployment?.meta?.commitHash;
  return typeof hash === "string" && /^[0-9a-f]{7,64}$/i.test(hash) ? hash : undefined;
}

const short = (sha: string) => sha.slice(0, 7);

/** Decides per service; `explicit` is a dispatch list (or "all") that overrides change detection. */
export async function planChanges(
  repoDir: string,
  commitSha: string,
  services: LiveService[],
  explicit: string[] | "all" | undefined,
  notes: string[],
): Promise<ServicePlan[]> {
  const shallow = await isShallow(repoDir);
  // Watch patterns that can never match (written from the service's root directory, say).
  const patterned = services.filter((s) => (s.wanted.watchPatterns ?? []).length > 0);
  if (patterned.length > 0) {
    const files = (await listTree(repoDir, commitSha)).map((entry) => entry.path);
    for (const service of patterned) {
      const warning = unmatchedWatchPatterns(files, {
        name: service.config.name,
        rootDirectory: service.config.rootDirectory,
        patterns: service.wanted.watchPatterns ?? [],
      });
      if (warning) notes.push(warning);
    }
  }
  let deepenTried = false;
  const plans: ServicePlan[] = [];
  const diffCache = new Map<string, string[]>();
  // Services deployed together share their live commit: ask git once per commit, not per service.
  const ancestry = new Map<string, Promise<boolean>>();
  const ancestorOfThis = (liveCommit: string) => {
    let known = ancestry.get(liveCommit);
    if (!known) {
      known = isAncestor(repoDir, liveCommit, commitSha);
      ancestry.set(liveCommit, known);
    }
    return known;
  };
  const presence = new Map<string, boolean>();

  for (const service of services) {
    const base: ServicePlan = {
      service: service.config.name,
      serviceId: service.serviceId,
      deploy: false,
      reason: "",
      liveDeploymentId: service.live?.id,
      liveCommit: commitOf(service.live),
      source: service.source,
    };
    if (explicit !== undefined) {
      const chosen = explicit === "all" || explicit.includes(service.config.name);
      plans.push({
        ...base,
        deploy: chosen,
        reason: chosen
          ? `requested (${explicit === "all" ? "all services" : "dispatch list"})`
          : "not in the requested services",
      });
      continue;
    }
    const what = service.differs ?? "settings";
    const settingsNote = service.settingsDiffer ? `; ${what} differ from Railway` : "";
    if (!service.live) {
      plans.push({ ...base, deploy: true, reason: "no live deployment in this environment" });
      continue;
    }
    const liveCommit = base.liveCommit;
    if (!liveCommit) {
      plans.push({
        ...base,
        deploy: true,
        reason: "the live deployment records no commit (source upload?), so changes cannot be compared",
      });
      continue;
    }
    if (liveCommit === commitSha) {
      plans.push({
        ...base,
        deploy: service.settingsDiffer,
        reason: service.settingsDiffer
          ? `${what} differ from Railway (live runs this commit ${short(commitSha)})`
          : `live deployment already runs ${short(commitSha)}`,
      });
      continue;
    }
    let present = presence.get(liveCommit) ?? (await hasCommit(repoDir, liveCommit));
    if (!present && shallow && !deepenTried) {
      deepenTried = true;
      notes.push(`shallow clone: fetching more history to find live commit ${short(liveCommit)}`);
      present = await fetchHistoryFor(repoDir, liveCommit);
    } else if (!present && shallow) {
      present = await hasCommit(repoDir, liveCommit);
    }
    presence.set(liveCommit, present);
    if (!present) {
      plans.push({
        ...base,
        deploy: true,
        reason: shallow
          ? `live commit ${short(liveCommit)} is not in this shallow clone and could not be fetched, so changes cannot be compared (use fetch-depth: 0)`
          : `live commit ${short(liveCommit)} is not in this repository's history (force-push?)`,
      });
      continue;
    }
    if (!(await ancestorOfThis(liveCommit))) {
      plans.push({
        ...base,
        deploy: true,
        reason: `live commit ${short(liveCommit)} is not an ancestor of ${short(commitSha)} (history was rewritten, e.g. a force-push)`,
      });
      continue;
    }
    let changed = diffCache.get(liveCommit);
    if (!changed) {
      changed = await changedFiles(repoDir, liveCommit, commitSha);
      diffCache.set(liveCommit, changed);
    }
    const dockerfilePath = service.wanted.dockerfilePath;
    const scope = watchScope(service.wanted.watchPatterns, {
      file: service.config.file,
      rootDirectory: service.config.rootDirectory,
      ...(typeof dockerfilePath === "string" && dockerfilePath !== ""
        ? { dockerfile: posix.join(service.config.rootDirectory, dockerfilePath) }
        : {}),
    });
    const watched = scope.implicit ? `; watched by ${scope.description}` : "";
    const triggering = triggeringFiles(changed, scope.patterns);
    if (triggering.length > 0) {
      const sample =
        triggering.slice(0, 3).join(", ") + (triggering.length > 3 ? `, +${triggering.length - 3} more` : "");
      plans.push({
        ...base,
        deploy: true,
        changedFiles: triggering,
        reason: `${triggering.length} watched file${triggering.length > 1 ? "s" : ""} changed since ${short(liveCommit)} (${sample})${watched}${settingsNote}`,
      });
    } else if (service.settingsDiffer) {
      plans.push({
        ...base,
        deploy: true,
        reason: `${what} differ from Railway (no watched file changed since ${short(liveCommit)}${watched})`,
      });
    } else {
      plans.push({
        ...base,
        deploy: false,
        reason: `no watched file changed since ${short(liveCommit)} (${changed.length} file${changed.length === 1 ? "" : "s"} changed elsewhere${watched})`,
      });
    }
  }
  return plans;
}
