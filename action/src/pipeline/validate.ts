// Stage 1: the config files, validated. Every finding is kept for the report; errors stop the run.
import { type LoadedConfig, loadConfig } from "../config/index.ts";
import { PipelineError } from "./types.ts";

export async function validateConfig(
  options: { repoDir: string; configFiles?: string[] },
  environments?: string[],
): Promise<LoadedConfig> {
  const config = await loadConfig({
    repoDir: options.repoDir,
    files: options.configFiles,
    ...(environments ? { environments } : {}),
  });
  return config;
}

/** Throws the one clear reason when the config has errors. */
export function requireValid(config: LoadedConfig): void {
  const errors = config.findings.filter((finding) => finding.severity === "error");
  if (errors.length > 0) {
    throw new PipelineError(
      `the config has ${errors.length} error${errors.length > 1 ? "s" : ""} (first: ${errors[0]?.location.file}:${errors[0]?.location.line} ${errors[0]?.message})`,
    );
  }
  if (config.services.length === 0) throw new PipelineError("no railway.toml file declares a service");
}
