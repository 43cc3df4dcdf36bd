/**
 * Runner scale set failures as typed errors: callers branch on `kind`, never on message text. The one place that
 * reads the Actions service's words — the `typeName` of its error body, e.g. `AgentExistsException` — is here.
 *
 * The service answers errors as `{"typeName": "...", "message": "..."}` with an `ActivityId` header
 * (actions/scaleset errors.go `newRequestResponseError`, error.go); the client maps AgentExistsException,
 * AgentNotFoundException and JobStillRunningException to errors of their own, and a listener tells a 409 on session
 * creation (RunnerScaleSetSessionConflictException: another listener holds the session) from other failures
 * (listener/listener.go `createSession`).
 */
import { networkFailure, type NetworkFailure } from "../../core/network-errors.js";
import { GitHubError } from "../errors.js";

export type ScaleSetErrorKind =
  | "session-conflict" // 409 on session creation: another listener holds the scale set's one session
  | "conflict" // 409: a scale set or runner name is taken
  | "busy" // the runner is running a job (JobStillRunningException): remove it once the job ends
  | "expired" // 401 from the Actions service: the admin or message queue token is no longer accepted
  | "unauthorized" // 401 from GitHub's REST API: the App key, installation token or PAT was refused
  | "forbidden" // 403 that is not a rate limit: a permission is missing
  | "not-found" // 404: scale set, session, runner, message, runner group
  | "invalid" // 400 / 422: the request was refused for its content
  | "rate-limited" // 429, or GitHub's rate limits
  | "transient" // 5xx, 408: worth retrying
  | "unreachable" // no answer: DNS, refused, reset, timed out
  | "aborted" // the caller's AbortSignal fired
  | "protocol"; // an answer without the shape the client expects

export interface ScaleSetErrorDetails {
  /** What was being done, e.g. "POST runner scale set session". */
  readonly operation?: string | undefined;
  /** The service's exception type name, when it sent one. */
  readonly typeName?: string | undefined;
  /** The service's ActivityId header: what GitHub Support asks for. */
  readonly activityId?: string | undefined;
  /** When a rate limit lifts (epoch ms, clock time), when the answer said. */
  readonly retryAt?: number | undefined;
  readonly network?: NetworkFailure | undefined;
  readonly cause?: unknown;
}

export class ScaleSetError extends Error {
  override readonly name = "ScaleSetError";
  constructor(
    readonly kind: ScaleSetErrorKind,
    /** HTTP status, or 0 when no answer arrived. */
    readonly status: number,
    message: string,
    readonly details: ScaleSetErrorDetails = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
  }

  get retryable(): boolean {
    return this.kind === "transient" || this.kind === "unreachable" || this.kind === "rate-limited";
  }
}

/** The kind of an HTTP error answer of the Actions service, by status and the exception's type name. */
function kindOf(status: number, typeName: string): ScaleSetErrorKind {
  // errors.go matches these names with strings.Contains; so does this.
  if (typeName.includes("JobStillRunningException")) return "busy";
  if (typeName.includes("AgentNotFoundException")) return "not-found";
  if (typeName.includes("AgentExistsException")) return "conflict";
  if (status === 409) return typeName.includes("SessionConflict") ? "session-conflict" : "conflict";
  if (status === 401) return "expired";
  if (status === 403) return "forbidden";
  if (status === 404 || status === 410) return "not-found";
  if (status === 429) return "rate-limited";
  if (status === 408 || status >= 500) return "transient";
  return "invalid";
}

/** The service's `{typeName, message}` error body, or the text as it came (a proxy's HTML, an empty body). */
function exceptionOf(text: string): { typeName: string; message: string } {
  try {
    const body = JSON.parse(text.replace(/^\uFEFF/, "")) as unknown;
    if (typeof body === "object" && body !== null) {
      const { typeName, message } = body as { typeName?: unknown; message?: unknown };
      if (typeof typeName === "string" || typeof message === "string") {
        return { typeName: typeof typeName === "string" ? typeName : "", message: typeof message === "string" ? message : "" };
      }
    }
  } catch {
    // not JSON: fall through
  }
  return { typeName: "", message: text.trim().slice(0, 300) };
}

/** An error answer of the Actions service (or of the registration exchange) as a ScaleSetError. */
export function errorFromAnswer(operation: string, status: number, text: string, headers: Headers, now: number): ScaleSetError {
  const { typeName, message } = exceptionOf(text);
  const activityId = headers.get("activityid") ?? undefined;
  const retryAfter = Number(headers.get("retry-after"));
  const retryAt = Number.isFinite(retryAfter) && retryAfter > 0 ? now + retryAfter * 1000 : undefined;
  const said = [typeName, message].filter((s) => s !== "").join(": ") || "no error body";
  const where = activityId ? ` (ActivityId ${activityId})` : "";
  return new ScaleSetError(kindOf(status, typeName), status, `${operation} answered ${status}: ${said}${where}`, {
    operation,
    typeName: typeName || undefined,
    activityId,
    retryAt,
  });
}

/** A request that got no answer, or was cut off by the caller or by its timeout. */
export function errorFromThrown(operation: string, e: unknown, why: { aborted: boolean; timedOut: boolean; timeoutMs: number }): ScaleSetError {
  if (e instanceof ScaleSetError) return e;
  if (why.aborted) return new ScaleSetError("aborted", 0, `${operation} was cancelled`, { operation, cause: e });
  if (why.timedOut) {
    return new ScaleSetError("unreachable", 0, `${operation} got no answer within ${Math.round(why.timeoutMs / 1000)} s`, {
      operation,
      network: { kind: "timeout", code: "TimeoutError", text: "timed out (TimeoutError)" },
      cause: e,
    });
  }
  const network = networkFailure(e);
  if (network) return new ScaleSetError("unreachable", 0, `cannot reach the Actions service for ${operation}: ${network.text}`, { operation, network, cause: e });
  return new ScaleSetError("transient", 0, `${operation} failed: ${e instanceof Error ? e.message : String(e)}`, { operation, cause: e });
}

/** A failure of tornade's GitHub REST client (the registration token) in this module's terms, same kind where one exists. */
export function errorFromGitHub(operation: string, e: GitHubError): ScaleSetError {
  // Every kind of GitHubError is one of this module's, with the same meaning.
  const kind: ScaleSetErrorKind = e.kind;
  const hint = e.lacksPermission
    ? "; the App needs Administration (repository scope) or Self-hosted runners (organization scope) read and write to manage scale sets"
    : "";
  return new ScaleSetError(kind, e.status, `${operation}: ${e.message}${hint}`, { operation, retryAt: e.details.retryAt, network: e.details.network, cause: e });
}

/** The abort reason as a ScaleSetError, thrown before work starts or while waiting. */
export function abortedError(operation: string, signal: AbortSignal): ScaleSetError {
  return new ScaleSetError("aborted", 0, `${operation} was cancelled`, { operation, cause: signal.reason });
}
