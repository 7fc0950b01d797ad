// One run reads the project and the environment once until it writes: provision, target, link
// and the live state all need them, back to back, and each read is a round trip and a request
// of the hourly budget (issue 14). Any call that may change Railway (a change set, a deploy, a
// rollback, ...) drops what was read, so a read after a write is always fresh; a conflicting
// writer elsewhere is caught by the change set's etag, as it was before.
import type { RailwayApi } from "../railway/types.ts";

/** Reads cached per run, by method and argument. */
const CACHED = new Set(["project", "environmentState"]);

/** Calls that change nothing in Railway: they keep the cache. Anything else drops it. */
const PURE = new Set([
  "tokenScope",
  "authHeaders",
  "serviceInstance",
  "previewChangeSet",
  "variablesForDeployment",
  "variablesForDeployments",
  "variables",
  "deploymentTriggers",
  "deploymentTriggersMany",
  "deployment",
  "deploymentStatuses",
  "deployments",
  "recentDeploymentsMany",
  "deploymentEvents",
  "buildLogs",
  "deploymentLogs",
  "instanceExecutions",
  "instanceExecutionsMany",
  "domains",
  "watchDeployments",
  "treatAsPublic",
  "startSubscription",
]);

/** The same API, with project and environment reads shared until the next write. */
export function withRunReads(api: RailwayApi): RailwayApi {
  const cache = new Map<string, Promise<unknown>>();
  return new Proxy(api, {
    get(target, property) {
      // The target, not the proxy, as receiver: the client's getters use private fields.
      const value = Reflect.get(target, property, target);
      if (typeof value !== "function" || typeof property !== "string") return value;
      const method = value as (...args: unknown[]) => unknown;
      if (CACHED.has(property)) {
        return (...args: unknown[]) => {
          const key = `${property}\u0000${args.map(String).join("\u0000")}`;
          let read = cache.get(key);
          if (!read) {
            read = Promise.resolve(method.apply(target, args));
            cache.set(key, read);
            // A failed read is not kept: the next caller asks again.
            read.catch(() => {
              if (cache.get(key) === read) cache.delete(key);
            });
          }
          return read;
        };
      }
      if (PURE.has(property)) return method.bind(target);
      return (...args: unknown[]) => {
        cache.clear();
        const result = method.apply(target, args);
        // Dropped again when the write ends: a read made while it ran may predate it.
        if (result instanceof Promise) return result.finally(() => cache.clear());
        cache.clear();
        return result;
      };
    },
  });
}
