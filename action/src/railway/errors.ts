// Typed errors of the Railway client. Every message says what happened and what to do;
// none carries a token or a variable value (texts from the server are redacted first).

export type RailwayAuthErrorKind =
  | "invalid-or-expired"
  | "wrong-project"
  | "wrong-environment"
  | "insufficient-scope";

export class RailwayError extends Error {
  override name = "RailwayError";
  /** The GraphQL operation (or endpoint) that failed, when known. */
  readonly operation?: string;
  constructor(message: string, operation?: string) {
    super(message);
    this.operation = operation;
  }
}

export class RailwayAuthError extends RailwayError {
  override name = "RailwayAuthError";
  readonly kind: RailwayAuthErrorKind;
  constructor(kind: RailwayAuthErrorKind, message: string, operation?: string) {
    super(message, operation);
    this.kind = kind;
  }
}

/** The API answered with GraphQL errors or an unexpected HTTP status. */
export class RailwayApiError extends RailwayError {
  override name = "RailwayApiError";
  readonly httpStatus?: number;
  /** Server messages, redacted. */
  readonly details: string[];
  constructor(
    message: string,
    options: { operation?: string; httpStatus?: number; details?: string[] } = {},
  ) {
    super(message, options.operation);
    this.httpStatus = options.httpStatus;
    this.details = options.details ?? [];
  }
}

/** Railway's rate limit held after every retry the client allows. */
export class RailwayRateLimitError extends RailwayError {
  override name = "RailwayRateLimitError";
  readonly retryAfterSeconds?: number;
  constructor(message: string, operation?: string, retryAfterSeconds?: number) {
    super(message, operation);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** The API could not be reached (or the connection failed) after every retry. */
export class RailwayNetworkError extends RailwayError {
  override name = "RailwayNetworkError";
  /** True when the request may have reached the server (timeout, dropped connection, 5xx). */
  readonly ambiguous: boolean;
  readonly httpStatus?: number;
  constructor(message: string, options: { operation?: string; ambiguous: boolean; httpStatus?: number }) {
    super(message, options.operation);
    this.ambiguous = options.ambiguous;
    this.httpStatus = options.httpStatus;
  }
}

/** A deployment id the API does not know (e.g. deleted, or from another project). */
export class RailwayNotFoundError extends RailwayError {
  override name = "RailwayNotFoundError";
  /** The deployment ids Railway could not read, when known. */
  readonly ids: string[];
  constructor(message: string, operation?: string, ids: string[] = []) {
    super(message, operation);
    this.ids = ids;
  }
}

/**
 * A deploy request (serviceInstanceDeployV2 or the source upload) got no clear answer and no
 * deployment of it showed up while the client looked: it may or may not have deployed. Never
 * sent again (docs/decisions/0120-ambiguous-deploy-requests.md).
 */
export class RailwayDeployUnknownError extends RailwayError {
  override name = "RailwayDeployUnknownError";
  /** The service's most recent deployments when the client gave up looking, newest first. */
  readonly recent: { id: string; status: string; createdAt?: string }[];
  constructor(
    message: string,
    operation: string,
    recent: { id: string; status: string; createdAt?: string }[],
  ) {
    super(message, operation);
    this.recent = recent;
  }
}

/**
 * Railway refused a change set because the environment changed since the config etag it was
 * planned against (optimistic concurrency: someone else wrote in between).
 */
export class RailwayConflictError extends RailwayApiError {
  override name = "RailwayConflictError";
}
