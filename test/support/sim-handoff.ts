/**
 * Test support: the JIT handoff tornade builds (src/controller/build.ts), pointed at a test bed's AWS: the real
 * @aws-sdk/client-ssm over HTTP, tornade's default prefix and key (which the test bed's account has), the operator's
 * credentials.
 */
import { SSMClient } from "@aws-sdk/client-ssm";
import type { Clock } from "../../src/clock/clock.js";
import { DEFAULT_JIT_KMS_KEY, DEFAULT_JIT_PARAMETER_PREFIX } from "../../src/core/runner-env.js";
import { SsmJitHandoff, type SsmJitHandoffOptions } from "../../src/providers/jit-handoff.js";

/** An SSM client on the test bed: the operator's by default, or another principal's (the runner role's keys). */
export function simSsmClient(
  aws: { endpoint: string; region: string },
  credentials: { accessKeyId: string; secretAccessKey: string } = { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed" },
): SSMClient {
  return new SSMClient({ endpoint: aws.endpoint, region: aws.region, credentials, maxAttempts: 1 });
}

export function simHandoff(aws: { endpoint: string; region: string }, clock: Clock, over: Partial<SsmJitHandoffOptions> = {}): SsmJitHandoff {
  return new SsmJitHandoff({
    client: simSsmClient(aws),
    prefix: DEFAULT_JIT_PARAMETER_PREFIX,
    kmsKeyId: DEFAULT_JIT_KMS_KEY,
    bootTimeoutMs: 600_000,
    now: () => clock.now(),
    ...over,
  });
}
