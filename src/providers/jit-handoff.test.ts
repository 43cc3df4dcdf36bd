/** The SSM handoff against the test bed's Parameter Store, through the real @aws-sdk/client-ssm. */
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { scaledClock } from "../clock/clock.js";
import { JIT_PARAMETER_EXPIRY_MARGIN_MS } from "../core/runner-env.js";
import { startAwsSim, type AwsSim } from "../../testbed/aws/index.js";
import { simHandoff, simSsmClient } from "../../test/support/sim-handoff.js";
import { jitNameKey } from "./jit-handoff.js";
import { LaunchError } from "./provider.js";

const clock = scaledClock(1);
let sim: AwsSim;
beforeAll(async () => {
  sim = await startAwsSim({ clock });
});
afterAll(() => sim.close());

const launch = { idempotencyKey: "tornade-7-1", runnerName: "tornade-7-1", jitConfig: "eyJ7LXNlY3JldA==" };

describe("SsmJitHandoff", () => {
  it("writes one Advanced SecureString under the prefix, with tornade's key and an expiry after the boot timeout", async () => {
    const before = clock.now();
    const name = await simHandoff(sim, clock, { bootTimeoutMs: 600_000 }).put(launch);
    expect(name).toMatch(/^\/tornade\/jit\/tornade-7-1\.[0-9a-f]{32}$/);
    const stored = sim.control.listParameters().find((p) => p.name === name);
    expect(stored).toMatchObject({ type: "SecureString", tier: "Advanced" });
    expect(stored?.keyArn).toMatch(/^arn:aws:kms:us-east-1:123456789012:key\//);
    expect(stored?.expiresAt).toBeGreaterThanOrEqual(before + 600_000 + JIT_PARAMETER_EXPIRY_MARGIN_MS - 1000);
    const asRunner = simSsmClient(sim, sim.runnerCredentials);
    expect((await asRunner.send(new GetParameterCommand({ Name: name, WithDecryption: true }))).Parameter?.Value).toBe(launch.jitConfig);
  });

  it("names a launch's parameter from a key: the same for a repeat, in another process with the same credential, unknowable without it", async () => {
    const a = simHandoff(sim, clock, { nameKey: jitNameKey("-----BEGIN PRIVATE KEY-----app-a") });
    const restarted = simHandoff(sim, clock, { nameKey: jitNameKey("-----BEGIN PRIVATE KEY-----app-a") });
    const other = simHandoff(sim, clock, { nameKey: jitNameKey("-----BEGIN PRIVATE KEY-----app-b") });
    const unkeyed = simHandoff(sim, clock);
    expect(a.nameFor("tornade-8-1")).toBe(a.nameFor("tornade-8-1"));
    expect(a.nameFor("tornade-8-1")).not.toBe(a.nameFor("tornade-8-2"));
    expect(restarted.nameFor("tornade-8-1")).toBe(a.nameFor("tornade-8-1"));
    expect(other.nameFor("tornade-8-1")).not.toBe(a.nameFor("tornade-8-1"));
    expect(unkeyed.nameFor("tornade-8-1")).not.toBe(a.nameFor("tornade-8-1"));
    // The secret is not in the name.
    expect(a.nameFor("tornade-8-1")).not.toContain("app-a");
  });

  it("says which setting to fix when the key does not exist", async () => {
    const err = await simHandoff(sim, clock, { kmsKeyId: "alias/nobody-made-this" }).put(launch).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LaunchError);
    expect((err as LaunchError).kind).toBe("permanent");
    expect((err as LaunchError).message).toMatch(/InvalidKeyId: Alias .*alias\/nobody-made-this is not found.*\(aws\.jitConfig\.kmsKeyId, TORNADE_JITCONFIG_KMS_KEY_ID\)/);
  });

  it("reports throttling as retryable, and a failed delete as a warning, never an error", async () => {
    sim.control.failNext({ service: "ssm", operation: "PutParameter", error: "ThrottlingException", message: "Rate exceeded" });
    expect(((await simHandoff(sim, clock).put(launch).catch((e: unknown) => e)) as LaunchError).kind).toBe("throttled");
    const warnings: string[][] = [];
    sim.control.failNext({ service: "ssm", operation: "DeleteParameters", error: "AccessDeniedException", message: "no" });
    await simHandoff(sim, clock, { warn: (_m, names) => warnings.push([...names]) }).discard(["/tornade/jit/a", "/tornade/jit/b"]);
    expect(warnings).toEqual([["/tornade/jit/a", "/tornade/jit/b"]]);
  });
});
