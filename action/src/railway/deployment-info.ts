// Maps a Deployment object of the GraphQL API to the pipeline's DeploymentInfo.

import type { DeploymentInfo, DeploymentStatus } from "./types.ts";

type Json = Record<string, unknown>;

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
