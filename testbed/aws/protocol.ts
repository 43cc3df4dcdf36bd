/**
 * The AWS JSON 1.1 wire protocol as the SDK v3 reads it: POST / with `X-Amz-Target: <targetPrefix>.<Operation>`,
 * `Content-Type: application/x-amz-json-1.1`; errors as HTTP 4xx/5xx with a JSON body `{"__type", "message"}` and
 * the `x-amzn-ErrorType` header. The SDK (@aws-sdk/core AwsJson1_1Protocol → loadRestJsonErrorCode) takes the code
 * from that header or `__type`, strips anything after ':' or before '#', and raises the modelled exception class of
 * that name (ClientException, InvalidParameterException, …); unmodelled names (ThrottlingException) come back as the
 * service's base exception with `name` set, which the SDK retry strategy classifies as throttling by name.
 */
import type { Service } from "./model.js";

/** An error the simulator answers with, in AWS's shape. */
export class AwsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = statusFor(code),
  ) {
    super(message);
  }
}

/** HTTP status AWS uses for a given error code: 5xx for server faults, 400 for everything a client caused. */
export function statusFor(code: string): number {
  if (code === "ServiceUnavailableException" || code === "ServiceUnavailable") return 503;
  if (code === "ServerException" || code === "InternalFailure" || code === "InternalServerException" || code === "InternalServerError") return 500;
  return 400;
}

export const JSON_11 = "application/x-amz-json-1.1";

export const TARGET_PREFIX: Record<Service, string> = {
  ecs: "AmazonEC2ContainerServiceV20141113",
  codebuild: "CodeBuild_20161006",
  ssm: "AmazonSSM",
};

/** Splits `X-Amz-Target` into service and operation, or undefined if it names neither service. */
export function parseTarget(target: string | undefined): { service: Service; operation: string } | undefined {
  if (!target) return undefined;
  const dot = target.lastIndexOf(".");
  if (dot < 0) return undefined;
  const prefix = target.slice(0, dot);
  const operation = target.slice(dot + 1);
  for (const service of ["ecs", "codebuild", "ssm"] as const) if (TARGET_PREFIX[service] === prefix) return { service, operation };
  return undefined;
}

/**
 * Refuses unsigned requests as AWS's JSON services do. The signature itself is not verified (the test bed has no
 * secrets to protect), but the header must be a SigV4 one whose credential scope names this region and service:
 * AWS answers a request scoped to another service with "Credential should be scoped to correct service: 'ecs'."
 * (AWS docs: "Signature Version 4 signing process" / "Troubleshoot signing errors" in the IAM user guide).
 * Answers the credential's access key id: who is calling (iam.ts).
 */
export function checkAuthorization(header: string | undefined, service: Service, region: string): string {
  if (!header) throw new AwsError("MissingAuthenticationTokenException", "Missing Authentication Token", 400);
  const m = /^AWS4-HMAC-SHA256 Credential=([^/\s,]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=[^,]+, ?Signature=[0-9a-f]+$/.exec(header);
  if (!m) {
    throw new AwsError(
      "IncompleteSignatureException",
      `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters. Authorization=${header.split(" ")[0] ?? ""}`,
      400,
    );
  }
  if (!m[1]) throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.", 400);
  if (m[3] !== region) throw new AwsError("InvalidSignatureException", `Credential should be scoped to a valid region. `, 400);
  if (m[4] !== service) throw new AwsError("InvalidSignatureException", `Credential should be scoped to correct service: '${service}'. `, 400);
  return m[1];
}

/** Body and headers of an AWS JSON 1.1 error answer. */
export function errorResponse(err: AwsError, requestId: string): { status: number; headers: Record<string, string>; body: string } {
  return {
    status: err.status,
    headers: { "content-type": JSON_11, "x-amzn-requestid": requestId, "x-amzn-errortype": `${err.code}:` },
    body: JSON.stringify({ __type: err.code, message: err.message }),
  };
}

/** JSON 1.1 timestamps are epoch seconds (fractional). */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}
