/**
 * Test support: tornade in scale-set mode (docs/scale-sets.md) against a test bed, configured through the environment
 * as an operator would (TORNADE_SCALE_SETS and its scope), and run in-process as `tornade serve` runs it.
 */
import type { Clock } from "../../src/clock/clock.js";
import { loadConfig } from "../../src/config/index.js";
import type { Logger } from "../../src/log/logger.js";
import { silentLogger } from "../../src/log/logger.js";
import { runTornade, type RunningTornade } from "../../src/server/run.js";
import type { TestBed } from "../../testbed/index.js";
import { localServeEnv, testbedEnv } from "./bed-tornade.js";

/** One tornade with the scale sets `sets` (TORNADE_SCALE_SETS) in the test bed's repository, on the store `storePath`. */
export async function startScaleSetTornade(
  bed: TestBed,
  clock: Clock,
  opts: { sets: string; storePath?: string; env?: Record<string, string>; logger?: Logger; holder?: string },
): Promise<RunningTornade> {
  const d = bed.description().github;
  const config = loadConfig(
    testbedEnv(bed, {
      ...localServeEnv(clock.speed, opts.storePath),
      TORNADE_SCALE_SETS: opts.sets,
      TORNADE_SCALE_SETS_OWNER: d.owner,
      TORNADE_SCALE_SETS_REPO: d.repo,
      TORNADE_SCALE_SETS_INSTALLATION_ID: String(d.installationId),
      ...opts.env,
    }),
  );
  return runTornade(config, {
    clock,
    logger: opts.logger ?? silentLogger,
    awsCredentials: { accessKeyId: "testbed", secretAccessKey: "testbed" },
    trackIntervalMs: 5_000,
    ...(opts.holder ? { holder: opts.holder } : {}),
  });
}
