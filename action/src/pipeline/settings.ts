// Stage 5: the effective settings from config against Railway's live settings.
import type { ServiceSettings } from "../config/types.ts";
import type { ServiceInstanceInfo } from "../railway/types.ts";
import type { SettingChange } from "./types.ts";

function normalize(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (Array.isArray(value)) return value.map(normalize);
  if (typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries.map(([k, v]) => [k, normalize(v)]));
  }
  return value;
}

// Railway answers enums in upper case; config files may write them in lower case.
const ENUM_FIELDS = new Set<string>(["builder", "restartPolicyType"]);

function same(field: string, a: unknown, b: unknown): boolean {
  if (ENUM_FIELDS.has(field) && typeof a === "string" && typeof b === "string") {
    return a.toUpperCase() === b.toUpperCase();
  }
  return JSON.stringify(normalize(a)) === JSON.stringify(normalize(b));
}

/**
 * What has to change in Railway so that the service runs with `wanted`. A stale
 * "Railway Config File" is cleared: Railway no longer reads those files, and a path left
 * there would claim a source of truth that is not applied.
 */
export function diffSettings(
  wanted: ServiceSettings,
  live: ServiceInstanceInfo | ServiceSettings,
): SettingChange[] {
  const changes: SettingChange[] = [];
  const desired: ServiceSettings = { ...wanted };
  if (desired.railwayConfigFile === undefined && live.railwayConfigFile) desired.railwayConfigFile = "";
  for (const field of Object.keys(desired) as (keyof ServiceSettings)[]) {
    const want = desired[field];
    if (want === undefined) continue;
    const have = live[field];
    if (field === "railwayConfigFile" && want === "" && !have) continue;
    if (!same(field, want, have)) changes.push({ field, live: have ?? null, wanted: want });
  }
  return changes;
}

/** The update input that applies exactly the changed fields. */
export function updateInputFor(changes: SettingChange[]): ServiceSettings {
  const input: Record<string, unknown> = {};
  for (const change of changes) input[change.field] = change.wanted;
  return input as ServiceSettings;
}
