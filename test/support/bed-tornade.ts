/**
 * Test support (imported by tests only): tornade configured through the environment against a standing test bed,
 * the way an operator configures it, and a seed workflow run waited on until every runner has stopped.
 * The environment is the sandbox's (src/sandbox/sandbox.ts testBedEnv); this module also lets a test pick the store
 * file and watch the simulated GitHub's answers (to collect the secrets it hands out).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { scaledClock, type Clock } from "../../src/clock/clock.js";
import { loadConfig } from "../../src/config/index.js";
import type { Logger } from "../../src/log/logger.js";
import { silentLogger } from "../../src/log/logger.js";
import { expandJobs, seedScenario } from "../../src/sandbox/scenario.js";
import { launchTimeoutSeconds } from "../../src/sandbox/speed.js";
import { runTornade, type RunningTornade } from "../../src/server/run.js";
import { testBedEnv } from "../../src/sandbox/sandbox.js";
import type { Store } from "../../src/store/store.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import type { SimResponseInfo } from "../../testbed/github/index.js";
import type { AwsSimOptions } from "../../testbed/aws/index.js";

/** The environment `tornade serve` / `check` / `cost` need to use the test bed (the sandbox's), plus AWS credentials. */
export function testbedEnv(bed: TestBed, extra: Record<string, string> = {}): Record<string, string> {
  return {
    ...testBedEnv(bed),
    // The test bed's AWS accepts any SigV4-signed request; the SDK's default chain reads these.
    AWS_ACCESS_KEY_ID: "testbed",
    AWS_SECRET_ACCESS_KEY: "testbed",
    ...extra,
  };
}

/** Listeners on free loopback ports, the store, and a launch timeout fit for the clock's speed. */
export function localServeEnv(speed: number, storePath = ":memory:"): Record<string, string> {
  return {
    PORT: "0",
    TORNADE_HOST: "127.0.0.1",
    TORNADE_ADMIN_PORT: "0",
    TORNADE_STORE_PATH: storePath,
    TORNADE_LAUNCH_TIMEOUT_SECONDS: String(launchTimeoutSeconds(speed)),
  };
}

export interface BedTornade {
  readonly bed: TestBed;
  readonly tornade: RunningTornade;
  readonly clock: Clock;
  close(): Promise<void>;
}

export async function startBedTornade(opts: {
  speed?: number;
  logger?: Logger;
  storePath?: string;
  onGitHubResponse?: (r: SimResponseInfo) => void;
  /** More configuration, as environment variables (e.g. TORNADE_ADMIN_TOKEN), or made from the started bed. */
  env?: Record<string, string> | ((bed: TestBed) => Record<string, string>);
  /** The test bed's AWS: its delays, and hooks on every request it receives and answer it gives. */
  aws?: Partial<AwsSimOptions>;
}): Promise<BedTornade> {
  const clock = scaledClock(opts.speed ?? 600);
  const bed = await startTestBed({
    clock,
    runnerLog: () => {},
    github: { runnerLostAfterMs: 30 * 60_000, ...(opts.onGitHubResponse ? { onResponse: opts.onGitHubResponse } : {}) },
    ...(opts.aws ? { aws: opts.aws } : {}),
  });
  try {
    const config = loadConfig(
      testbedEnv(bed, { ...localServeEnv(opts.speed ?? 600, opts.storePath), ...(typeof opts.env === "function" ? opts.env(bed) : opts.env) }),
    );
    const tornade = await runTornade(config, {
      clock,
      logger: opts.logger ?? silentLogger,
      awsCredentials: { accessKeyId: "testbed", secretAccessKey: "testbed" },
      trackIntervalMs: 5_000,
    });
    bed.github.control.setWebhookUrl(`${tornade.url}/events`);
    return {
      bed,
      tornade,
      clock,
      async close() {
        bed.github.control.setWebhookUrl(null);
        await tornade.close();
        await bed.close();
      },
    };
  } catch (e) {
    await bed.close();
    throw e;
  }
}

export interface SeedRun {
  /** GitHub job ids of the five jobs tornade launches runners for. */
  readonly launched: number[];
  /** The type=static job (not launched, by design). */
  readonly staticJob: number;
}

/** Queues the seed workflow on the bed's GitHub and waits until its five jobs completed and their runners stopped. */
export async function runSeed(bed: TestBed, store: Store, timeoutMs = 20_000): Promise<SeedRun> {
  const jobs = expandJobs(seedScenario);
  const run = bed.github.control.createRun({
    workflowName: "seed",
    jobs: jobs.map((j) => ({ name: j.name, labels: j.labels, durationSeconds: j.durationSeconds })),
  });
  const ids = run.jobs.map((j, i) => ({ id: Number(j.id), name: jobs[i]?.name }));
  const launched = ids.filter((j) => j.name !== "static").map((j) => j.id);
  const staticJob = ids.find((j) => j.name === "static")?.id ?? -1;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const done = await Promise.all(
      launched.map(async (id) => {
        const launches = await store.listLaunches(id);
        return bed.github.control.getJob(id)?.status === "completed" && launches.length > 0 && launches.every((l) => l.state === "stopped" || l.state === "failed");
      }),
    );
    if (done.every(Boolean) && (await store.getJob(staticJob))) return { launched, staticJob };
    if (Date.now() > deadline) throw new Error(`seed run not done after ${timeoutMs} ms: ${done.map(String).join(",")}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Spawns the real `bin/tornade.js` with only `env` (and PATH): nothing of the developer's shell leaks in. Async, so an
 * in-process test bed keeps answering the child.
 */
export function spawnTornade(
  args: readonly string[],
  env: Record<string, string>,
  cwd: string,
  bin = fileURLToPath(new URL("../../bin/tornade.js", import.meta.url)),
): Promise<CliRun> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env["PATH"] ?? "", ...env } }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      done({ code, stdout, stderr });
    });
  });
}
