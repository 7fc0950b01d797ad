// The answer check of the conformance test catches answers Railway's schema does not allow.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { repoDir } from "../client/support.ts";
import { answerProblems, replaySchema } from "./schema-answer.ts";

const real = replaySchema(
  JSON.parse(readFileSync(resolve(repoDir, "test/data/railway/schema.json"), "utf8")),
);

const DOMAINS = `query Domains($e: String!, $p: String!, $s: String!) {
  domains(environmentId: $e, projectId: $p, serviceId: $s) {
    serviceDomains { id domain targetPort syncStatus createdAt }
  }
}`;
const vars = { e: "env", p: "proj", s: "svc" };
const domain = {
  id: "d1",
  domain: "web.up.railway.app",
  targetPort: 8080,
  syncStatus: "ACTIVE",
  createdAt: "2026-12-03T09:00:00.000Z",
};
const answer = (d: Record<string, unknown>) => ({ domains: { serviceDomains: [d] } });

describe("answerProblems", () => {
  it("accepts an answer the schema allows", () => {
    expect(answerProblems(real, DOMAINS, vars, answer(domain))).toEqual([]);
    expect(
      answerProblems(real, DOMAINS, vars, answer({ ...domain, targetPort: null, createdAt: null })),
    ).toEqual([]);
  });

  it("rejects a value outside an enum", () => {
    expect(answerProblems(real, DOMAINS, vars, answer({ ...domain, syncStatus: "READY" })).join()).toMatch(
      /syncStatus.*READY/,
    );
  });

  it("rejects null in a non-null field", () => {
    expect(answerProblems(real, DOMAINS, vars, answer({ ...domain, domain: null })).join()).toMatch(
      /Cannot return null for non-nullable field ServiceDomain.domain/,
    );
  });

  it("rejects a value of another type, even one a serializer would coerce", () => {
    expect(answerProblems(real, DOMAINS, vars, answer({ ...domain, targetPort: "8080" })).join()).toMatch(
      /targetPort/,
    );
    expect(answerProblems(real, DOMAINS, vars, answer({ ...domain, domain: 42 }))).toEqual([
      'domains.serviceDomains.0.domain: answered 42, which the schema reads as "42"',
    ]);
    expect(answerProblems(real, DOMAINS, vars, answer({ ...domain, targetPort: 80.5 })).join()).toMatch(
      /Int cannot represent/,
    );
  });

  it("rejects a DateTime that is not an ISO timestamp", () => {
    expect(answerProblems(real, DOMAINS, vars, answer({ ...domain, createdAt: "yesterday" })).join()).toMatch(
      /DateTime cannot represent "yesterday"/,
    );
  });

  it("rejects fields not asked for, and a missing nullable field", () => {
    expect(answerProblems(real, DOMAINS, vars, answer({ ...domain, extra: 1 }))).toEqual([
      "domains.serviceDomains.0.extra: answered but not asked for",
    ]);
    const { createdAt: _omitted, ...withoutCreatedAt } = domain;
    expect(answerProblems(real, DOMAINS, vars, answer(withoutCreatedAt))).toEqual([
      "domains.serviceDomains.0.createdAt: asked for but missing from the answer",
    ]);
  });

  it("rejects a list where the schema has an object, and a missing data object", () => {
    expect(answerProblems(real, DOMAINS, vars, { domains: [] }).join()).toMatch(/domains/);
    expect(answerProblems(real, DOMAINS, vars, null)).toEqual(["the answer has no data object (null)"]);
  });
});
