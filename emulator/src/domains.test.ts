// Domains as the emulator keeps them: names checked, unique everywhere, the runner's domain
// published and unpublished, certificates only for verified custom domains.

import { describe, expect, it } from "vitest";
import {
  createCustomDomain,
  createServiceDomain,
  customDomainStatus,
  deleteDomain,
  findDomain,
  issueCertificate,
  runnerDomainId,
  SERVICE_DOMAIN_SUFFIX,
  updateServiceDomain,
} from "./domains.ts";
import { EmulatorState, type ServiceInstanceRecord, type ServiceRecord } from "./state.ts";

function world() {
  const state = new EmulatorState({
    projects: [
      {
        id: "p",
        name: "shop",
        environments: [{ id: "prod", name: "production" }],
        services: [
          { id: "web", name: "Web App", source: { repo: "a/b" } },
          { id: "db", name: "Postgres", external: true },
        ],
      },
    ],
    tokens: [],
  });
  const web = state.instance("web", "prod") as ServiceInstanceRecord;
  web.serviceDomain = "127.0.0.1:4100";
  return {
    state,
    web,
    webService: state.service("web") as ServiceRecord,
    db: state.instance("db", "prod") as ServiceInstanceRecord,
    dbService: state.service("db") as ServiceRecord,
  };
}

describe("custom domains", () => {
  it("normalises the name and refuses bad, Railway-owned and taken names", () => {
    const { state, web } = world();
    expect(createCustomDomain(state, web, "Shop.Example.com.", null).domain).toBe("shop.example.com");
    expect(() => createCustomDomain(state, web, "shop.example.com", null)).toThrow(/already in use/);
    expect(() => createCustomDomain(state, web, "not a domain", null)).toThrow(/not a valid domain/);
    expect(() => createCustomDomain(state, web, "localhost", null)).toThrow(/not a valid domain/);
    expect(() => createCustomDomain(state, web, "x.up.railway.app", null)).toThrow(/Railway-provided/);
    expect(() => createCustomDomain(state, web, "api.example.com", 70_000)).toThrow(/targetPort/);
  });

  it("starts unverified with a CNAME to the service and a TXT token; a certificate needs verification", () => {
    const { state, web } = world();
    const d = createCustomDomain(state, web, "shop.example.com", 3000);
    const status = customDomainStatus(web, d);
    expect(status.verified).toBe(false);
    expect(status.dnsRecords).toEqual([
      expect.objectContaining({
        hostlabel: "shop",
        zone: "example.com",
        recordType: "DNS_RECORD_TYPE_CNAME",
        requiredValue: "127.0.0.1:4100",
        status: "DNS_RECORD_STATUS_REQUIRES_UPDATE",
      }),
    ]);
    expect(status.verificationDnsHost).toBe("_railway-verify.shop.example.com");
    issueCertificate(d);
    expect(d.certificateStatus).toBe("CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP");
    d.verified = true;
    issueCertificate(d);
    expect(customDomainStatus(web, d)).toMatchObject({
      certificateStatus: "CERTIFICATE_STATUS_TYPE_VALID",
      certificates: [expect.objectContaining({ domainNames: ["shop.example.com"] })],
    });
    expect(
      customDomainStatus(web, createCustomDomain(state, web, "example.org", null)).dnsRecords[0]?.hostlabel,
    ).toBe("@");
  });
});

describe("service domains", () => {
  it("creates named, unique domains for deployable services only; renames keep the suffix", () => {
    const { state, web, webService, db, dbService } = world();
    const a = createServiceDomain(state, webService, web, 8080);
    const b = createServiceDomain(state, webService, web, null);
    expect(a.domain).toMatch(
      new RegExp(`^web-app-production-[0-9a-f]{4}\\.${SERVICE_DOMAIN_SUFFIX.replace(/\./g, "\\.")}$`),
    );
    expect(a.domain).not.toBe(b.domain);
    expect(() => createServiceDomain(state, dbService, db, null)).toThrow(/not deployed by Railway here/);
    const found = findDomain(state, a.id);
    if (!found) throw new Error("created domain not found");
    expect(() => updateServiceDomain(state, found, { domain: "shop.example.com" })).toThrow(/must be/);
    expect(() => updateServiceDomain(state, found, { domain: b.domain })).toThrow(/already in use/);
    updateServiceDomain(state, found, { domain: `shop.${SERVICE_DOMAIN_SUFFIX}`, targetPort: 9000 });
    expect(a).toMatchObject({ domain: `shop.${SERVICE_DOMAIN_SUFFIX}`, targetPort: 9000 });
    deleteDomain(found);
    expect(findDomain(state, a.id)).toBeUndefined();
  });

  it("the runner's domain cannot be renamed; deleting it unpublishes it, the next create publishes it again", () => {
    const { state, web, webService } = world();
    const runner = findDomain(state, runnerDomainId(web));
    if (!runner) throw new Error("runner domain not listed");
    expect(() => updateServiceDomain(state, runner, { domain: `x.${SERVICE_DOMAIN_SUFFIX}` })).toThrow(
      /cannot be renamed/,
    );
    deleteDomain(runner);
    expect(web.publicDomain).toBe(false);
    expect(findDomain(state, runnerDomainId(web))).toBeUndefined();
    expect(state.railwayVariables("web", "prod").RAILWAY_PUBLIC_DOMAIN).toBeUndefined();
    const again = createServiceDomain(state, webService, web, null);
    expect(again).toMatchObject({ id: runnerDomainId(web), domain: "127.0.0.1:4100" });
    expect(web.createdServiceDomains).toEqual([]);
  });
});
