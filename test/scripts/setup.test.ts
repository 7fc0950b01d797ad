// What `npm test` and `npm run local` install, and what `npm run local` says when it could not
// install the browser for the smoke test.
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, test } from "vitest";
// @ts-expect-error: a plain ESM script without type declarations
import { browserCheckNote } from "../../scripts/local.mjs";
// @ts-expect-error: a plain ESM script without type declarations
import { SYSTEM_PACKAGES } from "../../scripts/setup.mjs";

const repoRoot = resolve(import.meta.dirname, "../..");
const scratch = mkdtempSync(join(tmpdir(), "railyard-setup-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

// A PATH with node and sh only: no apt-get, none of the wanted commands.
const bin = join(scratch, "bin");
spawnSync("mkdir", ["-p", bin]);
symlinkSync(process.execPath, join(bin, "node"));
symlinkSync("/bin/sh", join(bin, "sh"));

function installWithoutAptGet(optional: boolean) {
  const code = `
    const { installSystemPackages } = await import(${JSON.stringify(pathToFileURL(join(repoRoot, "scripts/setup.mjs")).href)});
    const result = installSystemPackages({ "railyard-no-such-command": "railyard-no-such-package", node: "nodejs" }, { optional: ${optional} });
    console.log(JSON.stringify(result));`;
  return spawnSync(process.execPath, ["--input-type=module", "-e", code], {
    encoding: "utf8",
    env: { PATH: bin },
  });
}

describe("system packages", () => {
  test("npm test and npm run local install the same ones", () => {
    expect(SYSTEM_PACKAGES).toEqual({
      chromium: "chromium",
      podman: "podman",
      runc: "runc",
      debootstrap: "debootstrap",
    });
  });

  test("without apt-get, npm run local goes on and knows why the missing ones are missing", () => {
    const run = installWithoutAptGet(true);
    expect(run.status).toBe(0);
    const reason =
      "this machine has no apt-get; install them with: sudo apt-get install -y railyard-no-such-package";
    expect(JSON.parse(run.stdout.trim().split("\n").at(-1) as string)).toEqual({
      missing: ["railyard-no-such-package"],
      reason,
    });
  });

  test("without apt-get, npm test stops with the apt-get line to run (exit 1)", () => {
    const run = installWithoutAptGet(false);
    expect(run.stderr.trim()).toBe(
      "railyard setup: missing railyard-no-such-package (this machine has no apt-get); install them with: sudo apt-get install -y railyard-no-such-package",
    );
    expect(run.status).toBe(1);
  });
});

describe("npm run local's note on the browser check", () => {
  const browsers = ["/usr/bin/chromium", "/usr/bin/google-chrome"];
  test("is absent when a browser was found", () => {
    expect(browserCheckNote("/usr/bin/chromium", { missing: [] }, browsers)).toBeUndefined();
  });

  test("says chromium could not be installed, and why", () => {
    expect(
      browserCheckNote(
        undefined,
        {
          missing: ["chromium", "podman"],
          reason: "not running as root; install them with: sudo apt-get install -y chromium podman",
        },
        browsers,
      ),
    ).toBe(
      "browser check: did not run: no Chromium or Chrome at /usr/bin/chromium, /usr/bin/google-chrome: not running as root; install them with: sudo apt-get install -y chromium podman",
    );
  });

  test("names the paths it looked at when chromium's command exists elsewhere", () => {
    expect(browserCheckNote(undefined, { missing: [] }, browsers)).toBe(
      "browser check: did not run: no Chromium or Chrome at /usr/bin/chromium, /usr/bin/google-chrome",
    );
  });

  test("says it was turned off", () => {
    expect(browserCheckNote(undefined, { missing: [] }, browsers, true)).toBe(
      "browser check: did not run (--no-browser)",
    );
  });
});
