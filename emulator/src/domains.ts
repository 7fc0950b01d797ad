// Domains as Railway keeps them: the Railway-provided service domains of a service instance
// (the runner's own, allocated at start-up, plus those created with serviceDomainCreate) and
// custom domains with their DNS records, ownership verification and certificate status.
// Created service domains are recorded, listed and written into the environment config; only
// the runner's domain reaches the running process (one machine, one loopback address).

import { createHash, randomBytes, randomUUID } from "node:crypto";
import { GraphQLError } from "graphql";
import type {
  CustomDomainRecord,
  EmulatorState,
  ServiceDomainRecord,
  ServiceInstanceRecord,
  ServiceRecord,
} from "./state.ts";

const badRequest = (message: string) => new GraphQLError(message, { extensions: { code: "BAD_REQUEST" } });
const notFound = (what: string) =>
  new GraphQLError(`${what} not found`, { extensions: { code: "NOT_FOUND" } });

/** Suffix of the Railway-provided domains the emulator creates (resolves to loopback, routes nowhere). */
export const SERVICE_DOMAIN_SUFFIX = "up.railyard.localhost";

const HOSTNAME = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$/;

/** The id the runner's own service domain is listed under. */
export function runnerDomainId(instance: ServiceInstanceRecord): string {
  return `${instance.id}-domain`;
}

/** The port of the runner's domain ("127.0.0.1:PORT"), when it has one. */
export function runnerDomainPort(instance: ServiceInstanceRecord): number | null {
  return instance.serviceDomain ? Number(/:(\d+)$/.exec(instance.serviceDomain)?.[1]) || null : null;
}

function slug(name: string): string {
  return (
    name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "service"
  );
}

function checkPort(port: unknown): number | null {
  if (port === undefined || port === null) return null;
  if (!(Number.isInteger(port) && (port as number) >= 1 && (port as number) <= 65_535))
    throw badRequest("targetPort must be a port number from 1 to 65535");
  return port as number;
}

function allDomains(state: EmulatorState): Set<string> {
  const names = new Set<string>();
  for (const instance of state.instances.values()) {
    if (instance.serviceDomain) names.add(instance.serviceDomain);
    for (const d of instance.createdServiceDomains) names.add(d.domain);
    for (const d of instance.customDomains) names.add(d.domain);
  }
  return names;
}

/** `serviceDomainCreate`: a new Railway-provided domain `<service>-<environment>-<hex>.up.railyard.localhost`. */
export function createServiceDomain(
  state: EmulatorState,
  service: ServiceRecord,
  instance: ServiceInstanceRecord,
  targetPort: unknown,
): ServiceDomainRecord {
  if (service.external)
    throw badRequest(`Service ${service.name} is not deployed by Railway here: it has no domains`);
  const now = new Date().toISOString();
  if (instance.serviceDomain && instance.publicDomain === false) {
    // The first Railway domain of a service is the runner's own address, made public.
    instance.publicDomain = true;
    const port = runnerDomainPort(instance);
    return {
      id: runnerDomainId(instance),
      domain: instance.serviceDomain,
      targetPort: port,
      createdAt: now,
      updatedAt: now,
    };
  }
  const env = state.environment(instance.environmentId);
  const taken = allDomains(state);
  let domain: string;
  do {
    domain = `${slug(service.name)}-${slug(env?.name ?? "env")}-${randomBytes(2).toString("hex")}.${SERVICE_DOMAIN_SUFFIX}`;
  } while (taken.has(domain));
  const record: ServiceDomainRecord = {
    id: randomUUID(),
    domain,
    targetPort: checkPort(targetPort),
    createdAt: now,
    updatedAt: now,
  };
  instance.createdServiceDomains.push(record);
  return record;
}

/** `customDomainCreate`: unverified until its DNS points at the service (state file `verified`). */
export function createCustomDomain(
  state: EmulatorState,
  instance: ServiceInstanceRecord,
  domain: string,
  targetPort: unknown,
): CustomDomainRecord {
  const name = domain.trim().toLowerCase().replace(/\.$/, "");
  if (!HOSTNAME.test(name)) throw badRequest(`"${domain}" is not a valid domain name`);
  if (name.endsWith(".railway.app") || name.endsWith(".localhost"))
    throw badRequest(`${name} is a Railway-provided domain; create it with serviceDomainCreate`);
  if (allDomains(state).has(name)) throw badRequest(`Domain ${name} is already in use`);
  const now = new Date().toISOString();
  const record: CustomDomainRecord = {
    id: randomUUID(),
    domain: name,
    verified: false,
    certificateStatus: "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP",
    targetPort: checkPort(targetPort),
    createdAt: now,
    updatedAt: now,
  };
  instance.customDomains.push(record);
  return record;
}

export type FoundDomain =
  | { kind: "runner"; instance: ServiceInstanceRecord }
  | { kind: "service"; instance: ServiceInstanceRecord; record: ServiceDomainRecord }
  | { kind: "custom"; instance: ServiceInstanceRecord; record: CustomDomainRecord };

/** Finds a domain by id across every service instance. */
export function findDomain(state: EmulatorState, id: string): FoundDomain | undefined {
  for (const instance of state.instances.values()) {
    if (instance.serviceDomain && instance.publicDomain !== false && runnerDomainId(instance) === id)
      return { kind: "runner", instance };
    const service = instance.createdServiceDomains.find((d) => d.id === id);
    if (service) return { kind: "service", instance, record: service };
    const custom = instance.customDomains.find((d) => d.id === id);
    if (custom) return { kind: "custom", instance, record: custom };
  }
  return undefined;
}

/** `serviceDomainUpdate`: a new name (same suffix) and/or target port. */
export function updateServiceDomain(
  state: EmulatorState,
  found: FoundDomain,
  input: { domain: string; targetPort?: number | null },
): void {
  if (found.kind === "custom") throw notFound("Service domain");
  const port = checkPort(input.targetPort);
  if (found.kind === "runner") {
    if (input.domain !== found.instance.serviceDomain)
      throw badRequest("The emulator's runner domain cannot be renamed: create another service domain");
    if (port !== null && port !== runnerDomainPort(found.instance))
      throw badRequest("The emulator's runner domain always targets the port the runner chose");
    return;
  }
  const name = input.domain.trim().toLowerCase();
  if (name !== found.record.domain) {
    if (!name.endsWith(`.${SERVICE_DOMAIN_SUFFIX}`) || !HOSTNAME.test(name))
      throw badRequest(`A service domain must be <name>.${SERVICE_DOMAIN_SUFFIX}`);
    if (allDomains(state).has(name)) throw badRequest(`Domain ${name} is already in use`);
    found.record.domain = name;
  }
  found.record.targetPort = port;
  found.record.updatedAt = new Date().toISOString();
}

/** `customDomainUpdate`: the port its traffic goes to (null: the service's own). */
export function updateCustomDomain(record: CustomDomainRecord, targetPort: unknown): void {
  record.targetPort = checkPort(targetPort);
  record.updatedAt = new Date().toISOString();
}

/** `serviceDomainDelete` / `customDomainDelete`. */
export function deleteDomain(found: FoundDomain): void {
  if (found.kind === "runner") {
    // The runner's address stays (it is how the emulator reaches the process); it stops being public.
    found.instance.publicDomain = false;
    return;
  }
  const list: { id: string }[] =
    found.kind === "service" ? found.instance.createdServiceDomains : found.instance.customDomains;
  list.splice(
    list.findIndex((d) => d.id === found.record.id),
    1,
  );
}

/** `customDomainIssueCertificate`: a verified domain gets its certificate; an unverified one keeps waiting. */
export function issueCertificate(record: CustomDomainRecord): void {
  record.certificateStatus = record.verified
    ? "CERTIFICATE_STATUS_TYPE_VALID"
    : "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP";
  record.updatedAt = new Date().toISOString();
}

/** A custom domain's status as Railway reports it: the CNAME it needs and the TXT ownership check. */
export function customDomainStatus(instance: ServiceInstanceRecord, d: CustomDomainRecord) {
  const target = instance.serviceDomain ?? instance.createdServiceDomains[0]?.domain ?? "";
  const labels = d.domain.split(".");
  const zone = labels.slice(-2).join(".");
  const hostlabel = labels.slice(0, -2).join(".") || "@";
  const valid = d.certificateStatus === "CERTIFICATE_STATUS_TYPE_VALID";
  return {
    verified: d.verified,
    certificateStatus: d.certificateStatus,
    certificateStatusDetailed: valid
      ? "CERTIFICATE_STATUS_TYPE_DETAILED_COMPLETE"
      : "CERTIFICATE_STATUS_TYPE_DETAILED_UNSPECIFIED",
    certificateErrorMessage: null,
    certificateErrorType: null,
    certificateRetryable: !valid,
    certificates: valid
      ? [
          {
            domainNames: [d.domain],
            issuedAt: d.updatedAt ?? null,
            expiresAt: d.updatedAt
              ? new Date(Date.parse(d.updatedAt) + 90 * 24 * 3600 * 1000).toISOString()
              : null,
            fingerprintSha256: fingerprint(d),
            keyType: "KEY_TYPE_ECDSA",
          },
        ]
      : [],
    cdnProvider: null,
    verificationDnsHost: `_railway-verify.${d.domain}`,
    verificationToken: `railway-verify=${d.id.replace(/-/g, "")}`,
    dnsRecords: [
      {
        currentValue: d.verified ? target : "",
        fqdn: d.domain,
        hostlabel,
        purpose: "DNS_RECORD_PURPOSE_TRAFFIC_ROUTE",
        recordType: "DNS_RECORD_TYPE_CNAME",
        requiredValue: target,
        status: d.verified ? "DNS_RECORD_STATUS_PROPAGATED" : "DNS_RECORD_STATUS_REQUIRES_UPDATE",
        zone,
      },
    ],
  };
}

function fingerprint(d: CustomDomainRecord): string {
  // Stable per domain record (the emulator issues no real certificate).
  return createHash("sha256").update(`${d.id}:${d.domain}`).digest("hex");
}
