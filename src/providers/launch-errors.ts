import { LaunchError } from "./provider.js";

/**
 * The one place that turns AWS's answers into LaunchError kinds. Retry logic reads `kind`; where AWS gives only text
 * (RunTask's `failures[]`), the match lives here.
 */

/**
 * RunTask reports a Fargate capacity shortage not as an exception but as an entry in `failures[]` whose reason reads
 * "Capacity is unavailable at this time. Please try again later or in a different availability zone" (Amazon ECS
 * Developer Guide, "Amazon ECS API failure reasons",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/api_failures_messages.html). Account limits on
 * concurrent Fargate vCPUs/tasks ("You've reached the limit on the number of …") come the same way and clear as other
 * tasks stop, so they are capacity too: retry later, or fall back.
 */
const ECS_CAPACITY_REASON = /capacity is unavailable|reached the limit on the number of/i;

export function ecsFailureToLaunchError(failure: { reason?: string; detail?: string; arn?: string }): LaunchError {
  const text = [failure.reason, failure.detail].filter(Boolean).join(": ") || "RunTask started no task";
  if (ECS_CAPACITY_REASON.test(text)) return new LaunchError("capacity", `ECS: ${text}`);
  // Other reasons (MISSING, ATTRIBUTE, an unknown task definition) will not change by retrying.
  return new LaunchError("permanent", `ECS: ${text}`);
}

/** Exception names that mean "slow down" in ECS and CodeBuild (the SDK's own list of throttling codes, plus 429). */
const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
]);

/**
 * CodeBuild's StartBuild answers AccountLimitExceededException when the account's concurrent-build quota is reached
 * (CodeBuild API Reference, StartBuild "Errors"): it clears as builds finish, like a Fargate capacity shortage.
 * SSM's PutParameter answers ParameterLimitExceeded at the account's 100,000 advanced parameters ("Managing parameter
 * tiers"): it clears as runners delete theirs and unread ones expire.
 */
const CAPACITY = new Set(["AccountLimitExceededException", "LimitExceededException", "ParameterLimitExceeded"]);

interface AwsErrorLike {
  name: string;
  message: string;
  $fault?: "client" | "server";
  $metadata?: { httpStatusCode?: number };
}

function isAwsErrorLike(e: unknown): e is AwsErrorLike {
  return e instanceof Error && typeof e.name === "string";
}

/**
 * Maps an exception from an AWS SDK v3 call. ThrottlingException → "throttled"; 5xx, server faults and network
 * failures (no HTTP answer) → "transient"; every other client fault — ClientException about a task definition,
 * AccessDeniedException, InvalidParameterException, ResourceNotFoundException, InvalidInputException — → "permanent".
 */
export function awsErrorToLaunchError(service: "ECS" | "CodeBuild" | "SSM", operation: string, e: unknown): LaunchError {
  if (e instanceof LaunchError) return e;
  if (!isAwsErrorLike(e)) return new LaunchError("transient", `${service} ${operation} failed: ${String(e)}`, { cause: e });
  const status = e.$metadata?.httpStatusCode;
  const text = `${service} ${operation}: ${e.name}: ${e.message}`;
  if (THROTTLING.has(e.name) || status === 429) return new LaunchError("throttled", text, { cause: e });
  if (CAPACITY.has(e.name)) return new LaunchError("capacity", text, { cause: e });
  if (e.$fault === "server" || (status !== undefined && status >= 500)) {
    return new LaunchError("transient", text, { cause: e });
  }
  // No HTTP status: the request never got an answer (connection refused/reset, timeout, DNS).
  if (status === undefined) return new LaunchError("transient", text, { cause: e });
  return new LaunchError("permanent", text, { cause: e });
}
