import { describe, expect, it } from "vitest";
import { awsIdempotencyToken } from "./idempotency.js";
import { awsErrorToLaunchError, ecsFailureToLaunchError } from "./launch-errors.js";
import { LaunchError } from "./provider.js";

function awsError(name: string, status: number | undefined, fault?: "client" | "server") {
  return Object.assign(new Error(`${name} happened`), {
    name,
    ...(fault ? { $fault: fault } : {}),
    $metadata: status === undefined ? {} : { httpStatusCode: status },
  });
}

describe("ecsFailureToLaunchError", () => {
  it("reads AWS's capacity reason as capacity, anything else as permanent", () => {
    const capacity = ecsFailureToLaunchError({
      arn: "arn:aws:ecs:us-east-1:123456789012:cluster/tornade",
      reason: "Capacity is unavailable at this time. Please try again later or in a different availability zone",
    });
    expect(capacity.kind).toBe("capacity");
    expect(capacity.message).toContain("Capacity is unavailable at this time");
    expect(ecsFailureToLaunchError({ reason: "MISSING" }).kind).toBe("permanent");
    expect(ecsFailureToLaunchError({}).kind).toBe("permanent");
  });
});

describe("awsErrorToLaunchError", () => {
  it.each([
    ["ThrottlingException", 400, "client", "throttled"],
    ["TooManyRequestsException", 429, "client", "throttled"],
    ["AccountLimitExceededException", 400, "client", "capacity"],
    ["ServerException", 500, "server", "transient"],
    ["ServiceUnavailableException", 503, "server", "transient"],
    ["ClientException", 400, "client", "permanent"],
    ["AccessDeniedException", 400, "client", "permanent"],
    ["InvalidParameterException", 400, "client", "permanent"],
    ["ResourceNotFoundException", 400, "client", "permanent"],
    ["InvalidInputException", 400, "client", "permanent"],
  ] as const)("%s (%i) → %s", (name, status, fault, kind) => {
    const e = awsErrorToLaunchError("ECS", "RunTask", awsError(name, status, fault));
    expect(e).toBeInstanceOf(LaunchError);
    expect(e.kind).toBe(kind);
    expect(e.message).toContain(name);
  });

  it("treats a failure without an HTTP answer as transient and passes LaunchErrors through", () => {
    expect(awsErrorToLaunchError("ECS", "RunTask", awsError("TimeoutError", undefined)).kind).toBe("transient");
    const own = new LaunchError("permanent", "x");
    expect(awsErrorToLaunchError("CodeBuild", "StartBuild", own)).toBe(own);
  });
});

describe("awsIdempotencyToken", () => {
  it("keeps a short printable key and hashes anything AWS would refuse, stably", () => {
    expect(awsIdempotencyToken("job-42-attempt-1")).toBe("job-42-attempt-1");
    const long = "x".repeat(100);
    expect(awsIdempotencyToken(long)).toHaveLength(64);
    expect(awsIdempotencyToken(long)).toBe(awsIdempotencyToken(long));
    expect(awsIdempotencyToken("has space")).toMatch(/^[0-9a-f]{64}$/);
    expect(awsIdempotencyToken("")).toMatch(/^[0-9a-f]{64}$/);
  });
});
