// Each invalid fixture is reported at the exact line and column, with the exact
// message and suggestion; nothing else is reported for it.

import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadConfig } from "./index.ts";

const fixtures = fileURLToPath(new URL("../../../test/fixtures/config/", import.meta.url));

interface Expected {
  line: number;
  column: number;
  severity: "error" | "warning";
  code: string;
  message: string;
  suggestion?: string;
}

async function findingsOf(fixture: string): Promise<Expected[]> {
  const config = await loadConfig({
    repoDir: fixtures,
    files: [fixture],
    environments: ["production", "staging"],
  });
  return config.findings.map((finding) => {
    expect(finding.location.file).toBe(fixture);
    return {
      line: finding.location.line,
      column: finding.location.column,
      severity: finding.severity,
      code: finding.code,
      message: finding.message,
      ...(finding.suggestion === undefined ? {} : { suggestion: finding.suggestion }),
    };
  });
}

const cases: [string, Expected[]][] = [
  [
    "invalid/bad-required-variable-name.toml",
    [
      {
        line: 2,
        column: 29,
        severity: "error",
        code: "bad-variable-name",
        message: '"MY-VAR" is not a valid variable name (letters, digits and _, not starting with a digit)',
      },
    ],
  ],
  [
    "invalid/bad-set-variable-name.toml",
    [
      {
        line: 2,
        column: 9,
        severity: "error",
        code: "bad-variable-name",
        message: "`1ROLE` is not a valid variable name (letters, digits and _, not starting with a digit)",
      },
    ],
  ],
  [
    "invalid/build-command-table.toml",
    [
      {
        line: 4,
        column: 1,
        severity: "error",
        code: "wrong-type",
        message: "`build.buildCommand` must be a string, not a table",
      },
    ],
  ],
  [
    "invalid/builder-docker.json",
    [
      {
        line: 3,
        column: 16,
        severity: "error",
        code: "bad-enum",
        message:
          '`build.builder` must be one of RAILPACK, DOCKERFILE, NIXPACKS, HEROKU, PAKETO (any letter case), not "DOCKER"',
        suggestion: "did you mean `DOCKERFILE`?",
      },
    ],
  ],
  [
    "invalid/cron-every-minute.toml",
    [
      {
        line: 3,
        column: 16,
        severity: "warning",
        code: "cron-too-frequent",
        message: "`deploy.cronSchedule` runs more often than every 5 minutes, which Railway does not allow",
      },
    ],
  ],
  [
    "invalid/cron-out-of-range.toml",
    [
      {
        line: 2,
        column: 16,
        severity: "error",
        code: "bad-cron",
        message:
          "`deploy.cronSchedule` is not a valid cron expression: Constraint error, got value 61 expected range 0-59",
      },
    ],
  ],
  [
    "invalid/cron-six-fields.toml",
    [
      {
        line: 2,
        column: 16,
        severity: "error",
        code: "bad-cron",
        message:
          "`deploy.cronSchedule` must have 5 fields (minute hour day-of-month month day-of-week), found 6",
      },
    ],
  ],
  [
    "invalid/dependency-cycle.toml",
    [
      {
        line: 5,
        column: 14,
        severity: "error",
        code: "dependency-cycle",
        message: "services depend on each other in a cycle: a → b → a",
      },
    ],
  ],
  [
    "invalid/depends-on-self.toml",
    [
      {
        line: 2,
        column: 14,
        severity: "error",
        code: "depends-on-self",
        message: "service `worker` depends on itself",
      },
    ],
  ],
  [
    "invalid/depends-on-unknown.toml",
    [
      {
        line: 4,
        column: 14,
        severity: "error",
        code: "unknown-service",
        message: "`dependsOn` names `apy`, which no railway.toml defines",
        suggestion: "did you mean `api`?",
      },
    ],
  ],
  [
    "invalid/empty-pre-deploy-command.json",
    [
      {
        line: 3,
        column: 45,
        severity: "error",
        code: "empty-command",
        message: "`deploy.preDeployCommand[1]` is an empty command",
        suggestion: "remove the key to keep the default, or write the command",
      },
    ],
  ],
  [
    "invalid/empty-start-command.toml",
    [
      {
        line: 2,
        column: 16,
        severity: "error",
        code: "empty-command",
        message: "`deploy.startCommand` is an empty command",
        suggestion: "remove the key to keep the default, or write the command",
      },
    ],
  ],
  [
    "invalid/environment-array.toml",
    [
      {
        line: 1,
        column: 1,
        severity: "error",
        code: "wrong-type",
        message: "`environments.production` must be a table, not an array",
      },
    ],
  ],
  [
    "invalid/environment-holds-variables.toml",
    [
      {
        line: 5,
        column: 1,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `NODE_ENV` in [environments.production]",
        suggestion:
          "an environment block holds only [build] and [deploy]; Railway never read variables from this file: set NODE_ENV in that environment's Variables in Railway",
      },
    ],
  ],
  [
    "invalid/healthcheck-without-slash.toml",
    [
      {
        line: 2,
        column: 19,
        severity: "error",
        code: "bad-path",
        message: '`deploy.healthcheckPath` must start with `/`, got "health"',
        suggestion: "did you mean `/health`?",
      },
    ],
  ],
  [
    "invalid/json-duplicate-key.json",
    [
      {
        line: 4,
        column: 5,
        severity: "error",
        code: "duplicate-key",
        message: "key `startCommand` appears twice in the same object; only the last one would count",
      },
    ],
  ],
  [
    "invalid/many-errors.toml",
    [
      {
        line: 2,
        column: 11,
        severity: "error",
        code: "bad-enum",
        message:
          '`build.builder` must be one of RAILPACK, DOCKERFILE, NIXPACKS, HEROKU, PAKETO (any letter case), not "DOCKER"',
        suggestion: "did you mean `DOCKERFILE`?",
      },
      {
        line: 3,
        column: 1,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `watchPaths` in [build]",
        suggestion: "did you mean `watchPatterns`?",
      },
      {
        line: 6,
        column: 1,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `startComand` in [deploy]",
        suggestion: "did you mean `startCommand`?",
      },
      {
        line: 7,
        column: 15,
        severity: "error",
        code: "wrong-type",
        message: "`deploy.numReplicas` must be an integer, not a string",
      },
      {
        line: 8,
        column: 19,
        severity: "error",
        code: "bad-path",
        message: '`deploy.healthcheckPath` must start with `/`, got "health"',
        suggestion: "did you mean `/health`?",
      },
      {
        line: 9,
        column: 16,
        severity: "error",
        code: "bad-cron",
        message:
          "`deploy.cronSchedule` must have 5 fields (minute hour day-of-month month day-of-week), found 2",
      },
      {
        line: 10,
        column: 21,
        severity: "error",
        code: "bad-enum",
        message:
          '`deploy.restartPolicyType` must be one of ON_FAILURE, ALWAYS, NEVER (any letter case), not "sometimes"',
      },
    ],
  ],
  [
    "invalid/misplaced-top-level-key.toml",
    [
      {
        line: 1,
        column: 1,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `startCommand` at the top level",
        suggestion: "`startCommand` belongs in [deploy]",
      },
    ],
  ],
  [
    "invalid/multi-region-missing-replicas.json",
    [
      {
        line: 4,
        column: 7,
        severity: "error",
        code: "missing-key",
        message: "`deploy.multiRegionConfig.us-west2` is missing `numReplicas`",
      },
      {
        line: 4,
        column: 21,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `replicas` in [deploy.multiRegionConfig.us-west2]",
        suggestion: "did you mean `numReplicas`?",
      },
    ],
  ],
  [
    "invalid/negative-replicas.toml",
    [
      {
        line: 2,
        column: 15,
        severity: "error",
        code: "out-of-range",
        message: "`deploy.numReplicas` must be at least 0, not -1",
      },
    ],
  ],
  [
    "invalid/pr-environment-bad-builder.toml",
    [
      {
        line: 2,
        column: 11,
        severity: "error",
        code: "bad-enum",
        message:
          '`environments.pr.build.builder` must be one of RAILPACK, DOCKERFILE, NIXPACKS, HEROKU, PAKETO (any letter case), not "dockerfiles"',
        suggestion: "did you mean `DOCKERFILE`?",
      },
    ],
  ],
  [
    "invalid/registry-credentials-missing-password.toml",
    [
      {
        line: 1,
        column: 9,
        severity: "error",
        code: "missing-key",
        message: "`deploy.registryCredentials` is missing `password`",
      },
    ],
  ],
  [
    "invalid/replicas-as-string.toml",
    [
      {
        line: 2,
        column: 15,
        severity: "error",
        code: "wrong-type",
        message: "`deploy.numReplicas` must be an integer, not a string",
      },
    ],
  ],
  [
    "invalid/required-and-set.toml",
    [
      {
        line: 2,
        column: 13,
        severity: "warning",
        code: "required-and-set",
        message:
          "`CONTAINER_ROLE` is both required and set for service `api`; the set value always satisfies the requirement",
        suggestion: "remove `CONTAINER_ROLE` from `required`",
      },
    ],
  ],
  [
    "invalid/restart-policy-hyphen.toml",
    [
      {
        line: 2,
        column: 21,
        severity: "error",
        code: "bad-enum",
        message:
          '`deploy.restartPolicyType` must be one of ON_FAILURE, ALWAYS, NEVER (any letter case), not "on-failure"',
        suggestion: "did you mean `ON_FAILURE`?",
      },
    ],
  ],
  [
    "invalid/runtime-bad.json",
    [
      {
        line: 2,
        column: 26,
        severity: "error",
        code: "bad-enum",
        message: '`deploy.runtime` must be one of V2, LEGACY, UNSPECIFIED (any letter case), not "V3"',
        suggestion: "did you mean `V2`?",
      },
    ],
  ],
  [
    "invalid/schema-without-dollar.json",
    [
      {
        line: 2,
        column: 3,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `schema` at the top level",
        suggestion: "did you mean `$schema`?",
      },
    ],
  ],
  [
    "invalid/service-env-unknown-section.toml",
    [
      {
        line: 1,
        column: 31,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `variables` in [services.api.environments.pr]",
        suggestion:
          "an environment block holds only [build] and [deploy]; declare variables under [variables] or [services.<name>.variables]",
      },
    ],
  ],
  [
    "invalid/service-variables-unknown-key.toml",
    [
      {
        line: 2,
        column: 1,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `optional` in [services.api.variables]",
      },
    ],
  ],
  [
    "invalid/set-value-number.toml",
    [
      {
        line: 2,
        column: 23,
        severity: "error",
        code: "wrong-type",
        message: "`services.worker.variables.set.CONCURRENCY` must be a string, not an integer",
      },
    ],
  ],
  [
    "invalid/sleep-as-string.toml",
    [
      {
        line: 2,
        column: 20,
        severity: "error",
        code: "wrong-type",
        message: "`deploy.sleepApplication` must be a boolean (true or false), not a string",
      },
    ],
  ],
  [
    "invalid/smoke-bad-role.toml",
    [
      {
        line: 2,
        column: 18,
        severity: "error",
        code: "bad-enum",
        message: '`services.api.smoke.role` must be "api" or "frontend", not "backend"',
      },
    ],
  ],
  [
    "invalid/smoke-empty-build-info-path.toml",
    [
      {
        line: 2,
        column: 46,
        severity: "error",
        code: "bad-path",
        message: '`services.web.smoke.buildInfoPath` must start with `/`, got ""',
      },
    ],
  ],
  [
    "invalid/smoke-extra-key.toml",
    [
      {
        line: 2,
        column: 86,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `url` in [services.web.smoke]",
      },
    ],
  ],
  [
    "invalid/smoke-missing-version-path.toml",
    [
      {
        line: 2,
        column: 1,
        severity: "error",
        code: "missing-key",
        message: "`services.api.smoke` is missing `versionPath`",
      },
    ],
  ],
  [
    "invalid/smoke-path-without-slash.toml",
    [
      {
        line: 2,
        column: 39,
        severity: "error",
        code: "bad-path",
        message: '`services.api.smoke.versionPath` must start with `/`, got "version"',
        suggestion: "did you mean `/version`?",
      },
    ],
  ],
  [
    "invalid/two-smoke-apis.toml",
    [
      {
        line: 4,
        column: 11,
        severity: "error",
        code: "duplicate-smoke-role",
        message:
          "service `api2` and service `api` both have smoke role `api`; the smoke test needs exactly one",
      },
    ],
  ],
  [
    "invalid/unknown-environment.toml",
    [
      {
        line: 1,
        column: 15,
        severity: "error",
        code: "unknown-environment",
        message:
          "environment `prodction` does not exist in the Railway project (it has `production`, `staging`; `pr` means PR environments)",
        suggestion: "did you mean `production`?",
      },
    ],
  ],
  [
    "invalid/unknown-key-typo.toml",
    [
      {
        line: 5,
        column: 1,
        severity: "error",
        code: "unknown-key",
        message: "unknown key `startComand` in [deploy]",
        suggestion: "did you mean `startCommand`?",
      },
    ],
  ],
  [
    "invalid/watch-pattern-dot-slash.toml",
    [
      {
        line: 2,
        column: 18,
        severity: "error",
        code: "bad-watch-pattern",
        message: 'watch pattern "./src/**" starts with `./`, which gitignore syntax never matches',
        suggestion: "did you mean `/src/**`?",
      },
    ],
  ],
  [
    "invalid/watch-pattern-empty-and-bang.toml",
    [
      {
        line: 3,
        column: 3,
        severity: "error",
        code: "bad-watch-pattern",
        message: 'watch pattern "" is empty and matches nothing',
      },
      {
        line: 4,
        column: 3,
        severity: "error",
        code: "bad-watch-pattern",
        message: 'watch pattern "!" negates nothing (`!` alone)',
      },
    ],
  ],
  [
    "invalid/watch-pattern-number.toml",
    [
      {
        line: 2,
        column: 28,
        severity: "error",
        code: "wrong-type",
        message: "`build.watchPatterns[1]` must be a string, not an integer",
      },
    ],
  ],
  [
    "invalid/watch-pattern-unclosed-bracket.toml",
    [
      {
        line: 2,
        column: 18,
        severity: "error",
        code: "bad-watch-pattern",
        message: 'watch pattern "/src/[ab/**" has a `[` without a closing `]`',
      },
    ],
  ],
  [
    "invalid/watch-patterns-string.toml",
    [
      {
        line: 2,
        column: 17,
        severity: "error",
        code: "wrong-type",
        message: "`build.watchPatterns` must be an array, not a string",
      },
    ],
  ],
  [
    "invalid/zero-healthcheck-timeout.toml",
    [
      {
        line: 3,
        column: 22,
        severity: "error",
        code: "out-of-range",
        message: "`deploy.healthcheckTimeout` must be at least 1, not 0",
      },
    ],
  ],
  [
    "syntax/duplicate-key.toml",
    [
      {
        line: 3,
        column: 1,
        severity: "error",
        code: "toml-syntax",
        message: "TOML syntax error: Can't redefine existing key",
      },
    ],
  ],
  [
    "syntax/trailing-comma.json",
    [
      {
        line: 4,
        column: 3,
        severity: "error",
        code: "json-syntax",
        message: "JSON syntax error: expected a property name in double quotes, found `}`",
      },
    ],
  ],
  [
    "syntax/unexpected-equals.toml",
    [
      {
        line: 3,
        column: 5,
        severity: "error",
        code: "toml-syntax",
        message:
          "TOML syntax error: Unexpected character, expecting string, number, datetime, boolean, inline array or inline table",
      },
    ],
  ],
  [
    "syntax/unterminated-array.toml",
    [
      {
        line: 3,
        column: 1,
        severity: "error",
        code: "toml-syntax",
        message: "TOML syntax error: Unterminated inline array",
      },
    ],
  ],
  [
    "syntax/unterminated.json",
    [
      {
        line: 3,
        column: 1,
        severity: "error",
        code: "json-syntax",
        message: "JSON syntax error: expected `,` or `}` in an object, found end of file",
      },
    ],
  ],
  [
    "syntax/yaml-as-toml.toml",
    [
      {
        line: 1,
        column: 8,
        severity: "error",
        code: "toml-syntax",
        message: 'TOML syntax error: Invalid character, expected "="',
      },
    ],
  ],
];

describe("invalid configs", () => {
  it("has at least 30 distinct invalid fixtures", () => {
    expect(cases.filter(([name]) => name.startsWith("invalid/")).length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)("%s", async (fixture, expected) => {
    expect(expected.length).toBeGreaterThan(0);
    expect(await findingsOf(fixture)).toEqual(expected);
  });

  it("reports every problem of one file in one run, in position order", async () => {
    const findings = await findingsOf("invalid/many-errors.toml");
    expect(findings.map((finding) => `${finding.line}:${finding.column} ${finding.code}`)).toEqual([
      "2:11 bad-enum",
      "3:1 unknown-key",
      "6:1 unknown-key",
      "7:15 wrong-type",
      "8:19 bad-path",
      "9:16 bad-cron",
      "10:21 bad-enum",
    ]);
  });
});
