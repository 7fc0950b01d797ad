// The pipeline's side of linking plain railway.toml files to Railway services: the pure rules
// are in config/mapping.ts; this reads what Railway holds (each candidate service's Railway
// Config File and root directory from the environment config, and only when that is not enough
// the RAILYARD_CONFIG_FILE variable an earlier run wrote) and turns link problems into usage errors.
import {
  CONFIG_FILE_VARIABLE,
  isPlainFile,
  type LinkableService,
  LinkError,
  linkPlainFiles,
  unlinkedMessage,
} from "../config/mapping.ts";
import type { ServiceConfig } from "../config/types.ts";
import type { RailwayApi, RailwayEnvironment, RailwayService } from "../railway/types.ts";
import { PipelineError } from "./types.ts";

interface Linkable {
  files: { path: string; rootDirectory: string; data: unknown }[];
  services: ServiceConfig[];
}

function asUsage(error: unknown): never {
  if (error instanceof LinkError) throw new PipelineError(error.message, { usage: true });
  throw error;
}

/** Links by the service-configs mapping alone (no Railway): validate mode and the first check. */
export function linkByMapping(config: Linkable, mapping: Record<string, string> | undefined) {
  try {
    return linkPlainFiles(config, new Map(Object.entries(mapping ?? {})));
  } catch (error) {
    asUsage(error);
  }
}

/**
 * Links every plain file to a Railway service; stops with one usage error naming the files no
 * service answers for.
 */
export async function linkByRailway(
  api: RailwayApi,
  config: Linkable,
  mapping: Record<string, string> | undefined,
  project: { projectId: string; services: RailwayService[]; environment: RailwayEnvironment },
): Promise<{ services: ServiceConfig[]; notes: string[] }> {
  const links = new Map(Object.entries(mapping ?? {}));
  const declared = new Set(config.services.filter((s) => s.plainFile === undefined).map((s) => s.name));
  const candidates = config.files.some(isPlainFile)
    ? project.services.filter((service) => !declared.has(service.name))
    : [];
  const state = candidates.length > 0 ? await api.environmentState(project.environment.id) : undefined;
  const live: (LinkableService & { id: string })[] = candidates.map((service) => {
    const entry = state?.config.services?.[service.id];
    return {
      id: service.id,
      name: service.name,
      railwayConfigFile: entry?.configFile ?? null,
      rootDirectory: entry?.source?.rootDirectory ?? null,
    };
  });
  let result = attempt(config, links, live);
  if (result.unlinked.length > 0) {
    // Railway's IaC clears railwayConfigFile; an earlier run remembered the link in a variable.
    const linked = new Set(result.services.map((service) => service.name));
    await Promise.all(
      live
        .filter((service) => !linked.has(service.name))
        .map(async (service) => {
          const variables = await api.variablesForDeployment(
            project.projectId,
            project.environment.id,
            service.id,
          );
          service.rememberedConfigFile = variables[CONFIG_FILE_VARIABLE] ?? null;
        }),
    );
    result = attempt(config, links, live);
  }
  if (result.unlinked.length > 0) {
    throw new PipelineError(
      unlinkedMessage(
        result.unlinked,
        candidates.map((service) => service.name),
      ),
      { usage: true },
    );
  }
  return { services: result.services, notes: result.notes };
}

function attempt(config: Linkable, links: Map<string, string>, live: LinkableService[]) {
  try {
    return linkPlainFiles(config, links, live);
  } catch (error) {
    asUsage(error);
  }
}
