// Budget first (issue 14): before anything is changed or deployed, the requests this run still
// needs, estimated from the plan and the wait strategy, against what Railway says is left of
// the token's hourly budget (X-RateLimit-Remaining). A run that cannot finish says so now,
// with the numbers and the services input that fits, instead of dying at a 429 midway.
// docs/decisions/0141-request-budget.md
import type { RailwayApi } from "../railway/types.ts";
import { PipelineError } from "./types.ts";

/** What the estimate is made of, per deploying service and for the run. */
export const REQUESTS = {
  /** serviceInstanceDeployV2, or the source upload. */
  deployPerService: 1,
  /** The deployment(id) subscription that follows it to its outcome. */
  followPerService: 1,
  /**
   * The crash-loop read at the end of the stability windows, when there is one: one batched
   * read per this many services (the stability follow reuses each deployment's subscription).
   */
  crashLoopReadPerServices: 100,
  /** Applying the change set and reading its outcome. */
  applyChangeSet: 2,
  /** The environment read after deploying (URLs). */
  urls: 1,
} as const;

/** While subscribed, one batched safety read per minute of waiting. */
const SAFETY_READ_EVERY_MS = 60_000;

export interface BudgetInput {
  /** The services this run deploys, in order. */
  deploying: string[];
  /** The plan's changes per service (settings and fixed variables); those of deploying services are applied. */
  plan: { services: { service: string; rows: unknown[] }[] };
  stabilityMs: number;
  timeoutMs: number;
}

export interface BudgetEstimate {
  requests: number;
  perService: number;
  constant: number;
  breakdown: string;
}

export function estimateRequests(input: BudgetInput): BudgetEstimate {
  const perService = REQUESTS.deployPerService + REQUESTS.followPerService;
  // The safety reads are bounded by the run's timeout: the estimate is an upper bound.
  const safetyReads = Math.ceil(input.timeoutMs / SAFETY_READ_EVERY_MS);
  const deploying = new Set(input.deploying);
  const applies = input.plan.services.some((s) => deploying.has(s.service) && s.rows.length > 0);
  const apply = applies ? REQUESTS.applyChangeSet : 0;
  const n = input.deploying.length;
  const crashReads = input.stabilityMs > 0 ? Math.ceil(n / REQUESTS.crashLoopReadPerServices) : 0;
  const constant = apply + REQUESTS.urls + safetyReads + crashReads;
  const parts = [
    `${n} × ${perService} to deploy and follow`,
    ...(apply > 0 ? [`${apply} to apply the settings`] : []),
    ...(crashReads > 0 ? [`${crashReads} to read the instances at the end of the stability window`] : []),
    `${REQUESTS.urls} to read the URLs`,
    `up to ${safetyReads} safety reads over the ${Math.round(input.timeoutMs / 60_000)}-minute timeout`,
  ];
  return { requests: n * perService + constant, perService, constant, breakdown: parts.join(", ") };
}

export interface BudgetCheck {
  estimate: BudgetEstimate;
  /** X-RateLimit-Remaining when the check ran; undefined when Railway sent none. */
  remaining?: number;
  notes: string[];
}

function when(resetAt: string | undefined): string {
  if (!resetAt) return "the budget resets";
  const date = new Date(resetAt);
  return Number.isNaN(date.getTime()) ? "the budget resets" : `${date.toISOString().slice(11, 16)} UTC`;
}

/**
 * The one entry: throws a PipelineError, before anything is changed or deployed, when the
 * run's estimated requests exceed what the token has left; otherwise returns the estimate and
 * a note when the run will use most of what is left.
 */
export function checkBudget(api: Pick<RailwayApi, "rateLimit">, input: BudgetInput): BudgetCheck {
  const estimate = estimateRequests(input);
  const { remaining, limit, resetAt } = api.rateLimit;
  if (remaining === undefined || input.deploying.length === 0) return { estimate, remaining, notes: [] };
  const of = limit === undefined ? "" : ` of ${limit}`;
  if (estimate.requests > remaining) {
    const fits = Math.max(0, Math.floor((remaining - estimate.constant) / estimate.perService));
    const suggestion =
      fits > 0
        ? `Deploy at most ${fits} service${fits === 1 ? "" : "s"} now with the services input (for example: ${input.deploying.slice(0, fits).join(", ")}) and the rest after ${when(resetAt)}, or run again after ${when(resetAt)}`
        : `Run again after ${when(resetAt)}`;
    throw new PipelineError(
      `Railway's request budget cannot finish this run: deploying ${input.deploying.length} service${input.deploying.length === 1 ? "" : "s"} needs up to ${estimate.requests} requests (${estimate.breakdown}), and this token has ${remaining}${of} left until ${when(resetAt)} (X-RateLimit-Remaining). Nothing was changed or deployed. ${suggestion}; the concurrency input does not change the count.`,
    );
  }
  const notes =
    estimate.requests > remaining / 2
      ? [
          `request budget: this run needs up to ${estimate.requests} of the ${remaining}${of} requests left until ${when(resetAt)}; requests slow down rather than run out if it gets close`,
        ]
      : [];
  return { estimate, remaining, notes };
}
