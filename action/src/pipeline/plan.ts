// The settings plan: the pure diff of desired against live, confirmed by Railway's preview
// (which sees the stored variable values this run never decrypts, and drops the no-ops).
import type { RailwayApi } from "../railway/types.ts";
import { changeSetOf, confirmByPreview, diffEnvironment, type EnvironmentPlan } from "./changeset.ts";
import type { DesiredService } from "./desired.ts";
import type { LiveState } from "./live.ts";

export async function planEnvironment(
  api: RailwayApi,
  environmentId: string,
  desired: DesiredService[],
  live: LiveState["environment"],
): Promise<EnvironmentPlan & { diagnostics: string[] }> {
  const local = diffEnvironment(desired, live.config, live.configEtag);
  const changeSet = changeSetOf(local.services);
  if (changeSet.changes.length === 0) return { ...local, diagnostics: [] };
  const preview = await api.previewChangeSet(environmentId, changeSet);
  return {
    ...local,
    services: confirmByPreview(local.services, preview.changeSet.changes),
    diagnostics: preview.diagnostics.map(describeDiagnostic),
  };
}

function describeDiagnostic(diagnostic: unknown): string {
  if (diagnostic && typeof diagnostic === "object") {
    const d = diagnostic as { severity?: unknown; path?: unknown; message?: unknown };
    return `Railway's preview: ${String(d.severity ?? "note")}${d.path ? ` at ${String(d.path)}` : ""}: ${String(d.message ?? "")}`;
  }
  return `Railway's preview: ${String(diagnostic)}`;
}
