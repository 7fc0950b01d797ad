// Linking plain Config-as-Code files to Railway services (decision 0110), the settings a linked
// plain file resolves to, and where its Dockerfile may be.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig, resolveServiceSettings } from "./index.ts";
import { LinkError, linkPlainFiles, parseServiceConfigs, unlinkedFiles, unlinkedMessage } from "./mapping.ts";

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

function scratch(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "railyard-mapping-"));
  temporary.push(dir);
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

const PLAIN =
  '[build]\nbuilder = "dockerfile"\ndockerfilePath = "Dockerfile"\n\n[deploy]\nstartCommand = "node server.js"\n';

async function monorepo() {
  const dir = scratch({
    "apps/web/railway.toml": PLAIN,
    "apps/web/Dockerfile": "FROM node:24\n",
    "apps/api/railway.json": JSON.stringify({
      $schema: "https://railway.com/railway.schema.json",
      deploy: { startCommand: null },
    }),
    "backend/railway.toml": '[services.worker]\n[deploy]\nstartCommand = "node w.js"\n',
  });
  return loadConfig({ repoDir: dir, checkFilesystem: false });
}

describe("parseServiceConfigs", () => {
  it("reads service=file links separated by commas or lines, normalising the path", () => {
    expect(parseServiceConfigs("web=apps/web/railway.toml,\n api = /apps/api/railway.json\n")).toEqual(
      new Map([
        ["web", "apps/web/railway.toml"],
        ["api", "apps/api/railway.json"],
      ]),
    );
    expect(parseServiceConfigs("")).toEqual(new Map());
  });

  it("rejects entries without a service or file, paths outside the repository, and one service twice", () => {
    expect(() => parseServiceConfigs("web")).toThrow(LinkError);
    expect(() => parseServiceConfigs("=a.toml")).toThrow(/is not a link/);
    expect(() => parseServiceConfigs("web=../other/railway.toml")).toThrow(/inside the repository/);
    expect(() => parseServiceConfigs("web=a/railway.toml,web=b/railway.toml")).toThrow(/two files/);
  });
});

describe("linkPlainFiles", () => {
  it("without Railway links only what the mapping names; the others stay unlinked", async () => {
    const config = await monorepo();
    expect(config.findings).toEqual([]);
    expect(unlinkedFiles(config)).toEqual(["apps/api/railway.json", "apps/web/railway.toml"]);
    const linked = linkPlainFiles(config, new Map([["web", "apps/web/railway.toml"]]));
    expect(linked.services.map((s) => [s.name, s.file, s.plainFile?.via])).toEqual([
      ["worker", "backend/railway.toml", undefined],
      ["web", "apps/web/railway.toml", "service-configs"],
    ]);
    expect(linked.unlinked).toEqual(["apps/api/railway.json"]);
  });

  it("links a file to the service whose Railway Config File names it, with that service's live root", async () => {
    const config = await monorepo();
    const linked = linkPlainFiles(config, new Map(), [
      { name: "web", railwayConfigFile: "/apps/web/railway.toml", rootDirectory: null },
      { name: "api", railwayConfigFile: "/apps/api/railway.json", rootDirectory: "/apps/api" },
      { name: "worker", railwayConfigFile: "/backend/railway.toml", rootDirectory: "/backend" },
      { name: "Postgres", railwayConfigFile: null },
    ]);
    expect(linked.unlinked).toEqual([]);
    const web = linked.services.find((s) => s.name === "web");
    expect(web?.plainFile).toEqual({ via: "railway-config-file", liveRootDirectory: "/" });
    expect(web?.rootDirectory).toBe("/");
    expect(linked.services.find((s) => s.name === "api")?.plainFile?.liveRootDirectory).toBe("/apps/api");
    expect(linked.notes).toContain(
      "web: configured by apps/web/railway.toml (its Railway Config File setting names it)",
    );
  });

  it("the mapping moves a file: it wins over an old setting and the plan says the setting moves", async () => {
    const config = await monorepo();
    const linked = linkPlainFiles(config, new Map([["web", "apps/web/railway.toml"]]), [
      { name: "web", railwayConfigFile: "/web/railway.toml", rootDirectory: "/" },
      { name: "api", railwayConfigFile: "/apps/api/railway.json" },
    ]);
    expect(linked.services.find((s) => s.name === "web")?.plainFile?.via).toBe("service-configs");
    expect(linked.notes).toContain(
      "web: configured by apps/web/railway.toml (service-configs); the link moves from /web/railway.toml to /apps/web/railway.toml",
    );
  });

  it("stops on contradictions: one file for two services, a mapping to a [services] file, an unknown service", async () => {
    const config = await monorepo();
    expect(() =>
      linkPlainFiles(config, new Map(), [
        { name: "a", railwayConfigFile: "/apps/web/railway.toml" },
        { name: "b", railwayConfigFile: "apps/web/railway.toml" },
      ]),
    ).toThrow(/is named by 2 services \(a, b\)/);
    expect(() => linkPlainFiles(config, new Map([["x", "backend/railway.toml"]]))).toThrow(
      /\[services\] tables/,
    );
    expect(() => linkPlainFiles(config, new Map([["worker", "apps/web/railway.toml"]]))).toThrow(
      /already declared in backend\/railway.toml/,
    );
    expect(() => linkPlainFiles(config, new Map([["web", "nope/railway.toml"]]))).toThrow(
      /no such config file/,
    );
    expect(() =>
      linkPlainFiles(config, new Map([["wbe", "apps/web/railway.toml"]]), [{ name: "web" }]),
    ).toThrow(/has no service named wbe \(services: web\)/);
  });

  it("the message for an unlinked file names the file and the three ways to link it", () => {
    const message = unlinkedMessage(["apps/web/railway.toml"], ["web", "api"]);
    expect(message).toContain(
      "no Railway service is linked to apps/web/railway.toml (Railway services: web, api)",
    );
    expect(message).toContain('"Railway Config File" setting in Railway to /apps/web/railway.toml');
    expect(message).toContain("service-configs: <service>=apps/web/railway.toml");
    expect(message).toContain("[services.<service>] table");
  });
});

describe("settings of a plain file's service", () => {
  it("leave the live root directory alone and remember the link in RAILYARD_CONFIG_FILE", async () => {
    const config = await monorepo();
    const linked = linkPlainFiles(config, new Map([["web", "apps/web/railway.toml"]]));
    const web = linked.services.find((s) => s.name === "web");
    expect(web?.fixedVariables).toEqual({ RAILYARD_CONFIG_FILE: "/apps/web/railway.toml" });
    const settings = resolveServiceSettings({ ...config, services: linked.services }, "web", "production");
    expect(settings).toEqual({
      builder: "DOCKERFILE",
      dockerfilePath: "Dockerfile",
      startCommand: "node server.js",
    });
    // A [services] table's service is still rooted at its folder.
    expect(
      resolveServiceSettings({ ...config, services: linked.services }, "worker", "production").rootDirectory,
    ).toBe("/backend");
  });

  it("a later run finds the link in the variable once Railway's Config File setting is cleared", async () => {
    const config = await monorepo();
    const linked = linkPlainFiles(config, new Map(), [
      {
        name: "web",
        railwayConfigFile: "",
        rememberedConfigFile: "/apps/web/railway.toml",
        rootDirectory: "/",
      },
      { name: "api", railwayConfigFile: "/apps/api/railway.json" },
    ]);
    expect(linked.unlinked).toEqual([]);
    expect(linked.services.find((s) => s.name === "web")?.plainFile?.via).toBe("railyard-variable");
    expect(linked.notes).toContain(
      "web: configured by apps/web/railway.toml (remembered in its RAILYARD_CONFIG_FILE variable)",
    );
  });
});

describe("Dockerfile paths of a plain file, as Railway reads them", () => {
  const file = (dockerfilePath: string) =>
    `[build]\nbuilder = "DOCKERFILE"\ndockerfilePath = "${dockerfilePath}"\n`;

  it("without Railway: found from the repository root or from the file's folder", async () => {
    const dir = scratch({
      "haproxy/railway.toml": file("haproxy/Dockerfile"),
      "haproxy/Dockerfile": "FROM haproxy\n",
      "web/railway.toml": file("Dockerfile.web"),
      "web/Dockerfile.web": "FROM node\n",
      "bad/railway.toml": file("nowhere/Dockerfile"),
    });
    const config = await loadConfig({ repoDir: dir });
    expect(config.findings.map((f) => `${f.location.file}:${f.location.line} ${f.message}`)).toEqual([
      'bad/railway.toml:3 Dockerfile "nowhere/Dockerfile" not found (looked for nowhere/Dockerfile and bad/nowhere/Dockerfile)',
    ]);
  });

  it("with the service's live root directory: only from there", async () => {
    const dir = scratch({
      "haproxy/railway.toml": file("haproxy/Dockerfile"),
      "haproxy/Dockerfile": "FROM haproxy\n",
    });
    const fromRoot = await loadConfig({
      repoDir: dir,
      liveRootDirectories: new Map([["haproxy/railway.toml", "/"]]),
    });
    expect(fromRoot.findings).toEqual([]);
    const fromFolder = await loadConfig({
      repoDir: dir,
      liveRootDirectories: new Map([["haproxy/railway.toml", "/haproxy"]]),
    });
    expect(fromFolder.findings.map((f) => [f.message, f.suggestion])).toEqual([
      [
        'Dockerfile "haproxy/Dockerfile" not found (looked for haproxy/haproxy/Dockerfile)',
        "Railway reads the path from the service's root directory (/haproxy); a leading `/` starts at the repository root",
      ],
    ]);
  });
});
