// Stage 1: the config files, validated. Every finding is kept for the report; errors stop the run.
import { type LoadedConfig, loadConfig } from "../config/index.ts";
import { PipelineError } from "./types.ts";

export async function validateConfig(
  options: { repoDir: string; configFiles?: string[]; environment?: string },
  environments?: string[],
  liveRootDirectories?: ReadonlyMap<string, string>,
): Promise<LoadedConfig> {
  const config = await loadConfig({
    repoDir: options.repoDir,
    files: options.configFiles,
    ...(options.environment ? { environment: options.environment } : {}),
    ...(environments ? { environments } : {}),
    ...(liveRootDirectories ? { liveRootDirectories } : {}),
  });
  return config;
}

/**
 * Throws the one clear reason when the config has errors. No config file at all, or a file
 * named in config-files that does not exist, is a usage problem (exit 2). A plain file declares
 * no service by name: it is linked to one later (decision 0110).
 */
export function requireValid(config: LoadedConfig, repoDir: string): void {
  if (config.files.length === 0 && config.findings.length === 0) {
    throw new PipelineError(
      `no railway.toml or railway.json found in ${repoDir} (give the files with config-files, or run in the repository's folder)`,
      { usage: true },
    );
  }
  const errors = config.findings.filter((finding) => finding.severity === "error");
  if (errors.length > 0) {
    throw new PipelineError(
      `the config has ${errors.length} error${errors.length > 1 ? "s" : ""} (first: ${errors[0]?.location.file}:${errors[0]?.location.line} ${errors[0]?.message})`,
      { usage: errors.every((finding) => finding.code === "file-not-found") },
    );
  }
}
