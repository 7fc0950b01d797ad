// Maps a Deployment object of the GraphQL API to the pipeline's DeploymentInfo.

import type { DeploymentInfo, DeploymentStatus } from "./types.ts";

type Json = Record<string, unknown>;

/** Statuses that end the wait for a deployment (NEEDS_APPROVAL must not hang a run). */
export const TERMINAL_STATUSES: ReadonlySet<DeploymentStatus> = new Set([
  "SUCCESS",
  "FAILED",
  "CRASHED",
  "REMOVED",
  "SKIPPED",
  "NEEDS_APPROVAL",
]);

export function toDeployment(d: Json): DeploymentInfo {
  let meta = d.meta as DeploymentInfo["meta"];
  if (typeof meta === "string") {
    try {
      meta = JSON.parse(meta);
    } catch {
      meta = null;
    }
  }
  return {
    id: String(d.id),
    status: d.status as DeploymentStatus,
    serviceId: (d.serviceId as string | null | undefined) ?? null,
    url: (d.url as string | null | undefined) ?? null,
    staticUrl: (d.staticUrl as string | null | undefined) ?? null,
    ...(typeof d.createdAt === "string" ? { createdAt: d.createdAt } : {}),
    ...(typeof d.canRollback === "boolean" ? { canRollback: d.canRollback } : {}),
    meta: meta ?? null,
  };
}
