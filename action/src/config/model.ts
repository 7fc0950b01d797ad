// The layered view of a config file: which build/deploy blocks apply to a service in
// an environment, lowest precedence first, each with the path it came from.

import type { PositionMap } from "./positions.ts";

export type Table = Record<string, unknown>;

/** A parsed file as the validator keeps it (positions stay internal). */
export interface ParsedConfigFile {
  path: string;
  rootDirectory: string;
  data: unknown;
  positions: PositionMap;
}

export function isTable(value: unknown): value is Table {
  return value !== null && typeof value === "object" && !Array.isArray(value) && !(value instanceof Date);
}

export function tableAt(data: unknown, segments: readonly string[]): Table | undefined {
  let node: unknown = data;
  for (const segment of segments) {
    if (!isTable(node)) return undefined;
    node = node[segment];
  }
  return isTable(node) ? node : undefined;
}

export interface Layer {
  /** Path of the block, e.g. ["services", "api", "deploy"]. */
  segments: string[];
  block: Table;
}

export type Section = "build" | "deploy";

/** Precedence, lowest first: file → service → file environment → service environment. */
export function layerPaths(
  serviceName: string | undefined,
  environmentName: string | undefined,
  section: Section,
): string[][] {
  const paths: string[][] = [[section]];
  if (serviceName !== undefined) paths.push(["services", serviceName, section]);
  if (environmentName !== undefined) {
    paths.push(["environments", environmentName, section]);
    if (serviceName !== undefined)
      paths.push(["services", serviceName, "environments", environmentName, section]);
  }
  return paths;
}

export function layers(
  data: unknown,
  serviceName: string | undefined,
  environmentName: string | undefined,
  section: Section,
): Layer[] {
  const found: Layer[] = [];
  for (const segments of layerPaths(serviceName, environmentName, section)) {
    const block = tableAt(data, segments);
    if (block !== undefined) found.push({ segments, block });
  }
  return found;
}

export interface MergedValue {
  value: unknown;
  /** Path of the key that supplied the value. */
  segments: string[];
}

/** Field-by-field merge: a later layer replaces a field entirely (no deep merge). */
export function mergeLayers(list: Layer[]): Map<string, MergedValue> {
  const merged = new Map<string, MergedValue>();
  for (const layer of list) {
    for (const [key, value] of Object.entries(layer.block))
      merged.set(key, { value, segments: [...layer.segments, key] });
  }
  return merged;
}

/** Every place a build or deploy block may sit in a file, with its path. */
export function allBlocks(data: unknown, section: Section): Layer[] {
  const blocks: Layer[] = [];
  const add = (segments: string[]) => {
    const block = tableAt(data, segments);
    if (block !== undefined) blocks.push({ segments, block });
  };
  add([section]);
  for (const environment of Object.keys(tableAt(data, ["environments"]) ?? {}))
    add(["environments", environment, section]);
  for (const service of Object.keys(tableAt(data, ["services"]) ?? {})) {
    add(["services", service, section]);
    for (const environment of Object.keys(tableAt(data, ["services", service, "environments"]) ?? {})) {
      add(["services", service, "environments", environment, section]);
    }
  }
  return blocks;
}

/** Environment names a file overrides, at file level and per service. */
export function environmentNames(data: unknown): string[] {
  const names = new Set(Object.keys(tableAt(data, ["environments"]) ?? {}));
  for (const service of Object.keys(tableAt(data, ["services"]) ?? {})) {
    for (const environment of Object.keys(tableAt(data, ["services", service, "environments"]) ?? {}))
      names.add(environment);
  }
  return [...names];
}
