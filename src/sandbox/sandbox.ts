/**
 * The sandbox: the real tornade (controller, HTTP intake, SQLite) against the in-process test bed — simulated GitHub,
 * ECS, CodeBuild and runners — on one compressed clock. The only module of src/ that imports testbed/, and only
 * `tornade sandbox` and `tornade serve --sandbox` import it.
 */
import { scaledClock, type Clock } from "../clock/clock.js";
import { TEST_BED_AWS_CREDENTIALS, loadConfig, testBedEnvOf } from "../config/index.js";
import { launchTimeoutSeconds } from "./speed.js";
import type { Logger } from "../log/logger.js";
import { runTornade, type RunningTornade } from "../server/run.js";
import { createSetupWizard, type SetupWizard } from "../server/setup-routes.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import { RUN_ID_PLACEHOLDER, expandJobs, seedScenario, type Scenario } from "./scenario.js";

export interface SandboxOptions {
  /** Clock speed: how many simulated milliseconds pass per real one. */
  readonly speed: number;
  readonly logger: Logger;
  /** tornade's public HTTP port; 0 picks a free one. */
  readonly port: number;
  /** The operator listener's port (dashboard, /api, /metrics, /setup); default 0, a free one. */
  readonly adminPort?: number;
  readonly launchLabel?: string;
  /** More configuration, as environment variables (e.g. TORNADE_RUNNER_SCOPE=org). */
  readonly env?: Readonly<Record<string, string>>;
  /** Simulated runners' log lines; default: dropped. */
  readonly runnerLog?: (line: string) => void;
}

export interface QueuedJob {
  /** `name` as the scenario gives it, or `name#i` for counts above 1. */
  readonly name: string;
  readonly jobId: number;
  readonly labels: readonly string[];
}

export interface Sandbox {
  readonly bed: TestBed;
  readonly tornade: RunningTornade;
  readonly clock: Clock;
  /** The setup wizard's one-time code (the sandbox serves /setup on its operator listener). */
  readonly setupCode: string;
  /** Queues one workflow run with the scenario's jobs on the simulated GitHub (which sends the webhooks). */
  queueScenario(scenario: Scenario): Promise<QueuedJob[]>;
  queueSeedWorkflow(): Promise<QueuedJob[]>;
  close(): Promise<void>;
}

export async function startSandbox(opts: SandboxOptions): Promise<Sandbox> {
  const clock = scaledClock(opts.speed);
  const bed = await startTestBed({
    clock,
    runnerLog: opts.runnerLog ?? (() => {}),
    // At hundreds of times real speed, a busy machine can pause a healthy runner's lease renewal for several
    // simulated minutes; the sandbox is about tornade, not about losing runners to the host's scheduler.
    github: { runnerLostAfterMs: 30 * 60_000 },
  });
  let tornade: RunningTornade;
  let setup: SetupWizard;
  try {
    // Configured the way a user configures tornade: through the environment, with the seed's variable names. Both
    // listeners on loopback, whatever else is set: a sandbox is for the person at this machine.
    const env = {
      ...testBedEnv(bed),
      PORT: String(opts.port),
      TORNADE_ADMIN_PORT: String(opts.adminPort ?? 0),
      ...(opts.launchLabel ? { LAUNCH_LABEL: opts.launchLabel } : {}),
      TORNADE_LAUNCH_TIMEOUT_SECONDS: String(launchTimeoutSeconds(opts.speed)),
      ...opts.env,
      TORNADE_HOST: "127.0.0.1",
      TORNADE_ADMIN_HOST: "127.0.0.1",
    };
    const config = loadConfig(env, undefined, { sandbox: true });
    setup = createSetupWizard({ config, clock, logger: opts.logger });
    tornade = await runTornade(config, {
      clock,
      logger: opts.logger,
      awsCredentials: TEST_BED_AWS_CREDENTIALS,
      trackIntervalMs: 5_000,
      setup,
    });
  } catch (e) {
    await bed.close();
    throw e;
  }
  bed.github.control.setWebhookUrl(`${tornade.url}/events`);

  const queueScenario = async (scenario: Scenario): Promise<QueuedJob[]> => {
    const jobs = expandJobs(scenario);
    const run = bed.github.control.createRun({
      workflowName: "tornade sandbox",
      jobs: jobs.map((j) => ({ name: j.name, labels: j.labels, durationSeconds: j.durationSeconds })),
    });
    return run.jobs.map((j, i) => ({ name: jobs[i]?.name ?? j.name, jobId: Number(j.id), labels: j.labels }));
  };

  return {
    bed,
    tornade,
    clock,
    setupCode: setup.code,
    queueScenario,
    queueSeedWorkflow: () => queueScenario(seedScenario),
    async close() {
      bed.github.control.setWebhookUrl(null);
      await tornade.close();
      await bed.close();
    },
  };
}

/**
 * The environment that points tornade at a test bed, with the seed's variable names where the seed has one. Used by
 * the sandbox, and by tests that run `tornade serve` as a child process against a test bed.
 */
export function testBedEnv(bed: TestBed): Record<string, string> {
  // The seed gives the App's key base64-encoded in SECRET_KEY_PEM; the sandbox does the same.
  return testBedEnvOf(bed.description(), Buffer.from(bed.github.privateKeyPem).toString("base64"));
}

export { RUN_ID_PLACEHOLDER };
