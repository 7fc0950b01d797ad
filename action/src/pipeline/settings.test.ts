import { describe, expect, it } from "vitest";
import { diffSettings, updateInputFor } from "./settings.ts";

describe("settings diff", () => {
  it("reports only fields that differ, with live and wanted values", () => {
    const changes = diffSettings(
      { startCommand: "npm start", healthcheckPath: "/healthz", numReplicas: 1 },
      { startCommand: "node server.js", healthcheckPath: "/healthz", numReplicas: 1 },
    );
    expect(changes).toEqual([{ field: "startCommand", live: "node server.js", wanted: "npm start" }]);
  });

  it("treats enum case and absent-vs-null as equal", () => {
    expect(diffSettings({ builder: "DOCKERFILE", buildCommand: null }, { builder: "DOCKERFILE" })).toEqual(
      [],
    );
    expect(
      diffSettings({ restartPolicyType: "on_failure" as "ON_FAILURE" }, { restartPolicyType: "ON_FAILURE" }),
    ).toEqual([]);
  });

  it("compares arrays and objects by value", () => {
    expect(diffSettings({ watchPatterns: ["/a/**"] }, { watchPatterns: ["/a/**"] })).toEqual([]);
    expect(diffSettings({ watchPatterns: ["/a/**", "!/a/t/**"] }, { watchPatterns: ["/a/**"] })).toHaveLength(
      1,
    );
    expect(
      diffSettings(
        { multiRegionConfig: { "us-west2": { numReplicas: 2 } } },
        { multiRegionConfig: { "us-west2": { numReplicas: 2 } } },
      ),
    ).toEqual([]);
  });

  it("clears a stale Railway Config File", () => {
    const changes = diffSettings(
      { startCommand: "x" },
      { startCommand: "x", railwayConfigFile: "/backend/railway.toml" },
    );
    expect(changes).toEqual([{ field: "railwayConfigFile", live: "/backend/railway.toml", wanted: "" }]);
    expect(updateInputFor(changes)).toEqual({ railwayConfigFile: "" });
  });

  it("leaves an empty Railway Config File alone", () => {
    expect(diffSettings({ startCommand: "x" }, { startCommand: "x", railwayConfigFile: null })).toEqual([]);
  });
});
