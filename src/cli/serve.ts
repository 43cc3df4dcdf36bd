/**
 * `tornade serve`: the webhook intake, workers and HTTP server, configured from a file and the environment.
 * With no configuration at all (a fresh clone's `npm start`), or with --sandbox, it serves the sandbox: the real
 * controller against the in-process test bed, with the seed workflow queued at start.
 */
import { resolve } from "node:path";
import { sharedClock, systemClock } from "../clock/clock.js";
import { ConfigError, TEST_BED_AWS_CREDENTIALS, describeConfig, loadConfig, readTestBedFile } from "../config/index.js";
import { createLogger } from "../log/logger.js";
import { runTornade } from "../server/run.js";
import { startSandbox } from "../sandbox/sandbox.js";
import { sandboxBanner, sandboxWarning } from "../sandbox/banner.js";
import { preparePoke } from "../sandbox/poke.js";
import { parseCommandArgs, UsageError } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";

export const SERVE_USAGE = `usage: tornade serve [--config FILE] [--port N] [--store sqlite|dynamodb] [--queue sqlite|sqs]
                     [--sandbox [--speed N] | --testbed FILE]

  --config FILE  configuration file (YAML or JSON); also TORNADE_CONFIG. The environment overrides it.
  --port N       HTTP port (default 8080; also PORT)
  --store KIND   sqlite (default, one process) or dynamodb (replicas; also TORNADE_STORE, with TORNADE_DYNAMODB_TABLE)
  --queue KIND   sqlite (default) or sqs (replicas; also TORNADE_QUEUE, with TORNADE_SQS_QUEUE_URL)
  --sandbox      run against the in-process simulated GitHub and AWS (the default when nothing is configured)
  --speed N      sandbox only: how much faster than real time the simulated world runs (default 20)
  --testbed FILE run against a standing test bed (npm run testbed -- --port-file FILE): its GitHub and AWS endpoints,
                 App, webhook secret, cluster, subnets, task definitions, projects and clock, read from FILE

Endpoints: POST /events (GitHub App webhook), GET /healthz, GET /metrics (Prometheus), GET / (dashboard),
GET /api/state (the dashboard's JSON), GET /setup (create the GitHub App from a manifest).
`;

export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: "string" },
    port: { type: "string" },
    store: { type: "string" },
    queue: { type: "string" },
    sandbox: { type: "boolean" },
    speed: { type: "string" },
    testbed: { type: "string" },
  });
  if (values.help) {
    io.stdout(SERVE_USAGE);
    return EXIT_OK;
  }
  const port = values.port === undefined ? undefined : parsePort(values.port);
  const env = {
    ...io.env,
    ...(port === undefined ? {} : { PORT: String(port) }),
    ...(values.store === undefined ? {} : { TORNADE_STORE: oneOf("--store", values.store, ["sqlite", "dynamodb"]) }),
    ...(values.queue === undefined ? {} : { TORNADE_QUEUE: oneOf("--queue", values.queue, ["sqlite", "sqs"]) }),
  };
  if (values.testbed !== undefined && values.sandbox === true) {
    throw new UsageError("--testbed and --sandbox exclude each other: --sandbox starts a test bed of its own, in process");
  }
  let config;
  try {
    // A standing test bed's port file, in the environment's names; the flag wins over the same variables.
    const bed = values.testbed === undefined ? {} : readTestBedFile(resolve(io.cwd, values.testbed));
    config = loadConfig({ ...env, ...bed }, values.config === undefined ? undefined : resolve(io.cwd, values.config), { sandbox: values.sandbox === true, cwd: io.cwd });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`tornade serve: ${err.message}\n`);
      return EXIT_FAILED;
    }
    throw err;
  }
  const logger = createLogger();
  if (config.sandbox) {
    const speed = values.speed === undefined ? 20 : parseSpeed(values.speed);
    io.stderr(sandboxWarning(speed));
    const sandbox = await startSandbox({ speed, logger, port: config.server.port, launchLabel: config.launchLabel });
    const delivery = await preparePoke(sandbox);
    io.stderr(sandboxBanner({ speed, eventsUrl: sandbox.tornade.url, webhookSecret: sandbox.bed.github.webhookSecret, delivery }));
    await sandbox.queueSeedWorkflow();
    await untilSignal(logger);
    await sandbox.close();
    await delivery.remove();
    return EXIT_OK;
  }
  if (values.speed !== undefined) throw new UsageError("--speed is only for --sandbox");
  logger.info({ config: describeConfig(config) }, "configuration loaded");
  // Against a compressed test bed (chaos runs, restart tests), tornade keeps the test bed's time.
  const { speed, origin } = config.clock;
  const clock = speed === 1 && origin === undefined ? systemClock : sharedClock(speed, origin ?? Date.now());
  // The test bed's AWS takes any signature: no need for the operator to invent credentials for it.
  const running = await runTornade(config, { clock, logger, ...(values.testbed === undefined ? {} : { awsCredentials: TEST_BED_AWS_CREDENTIALS }) });
  await untilSignal(logger);
  await running.close();
  return EXIT_OK;
}

/** SIGTERM / SIGINT: stop taking requests, finish (or hand back) the work in hand, close the store. */
function untilSignal(logger: { info(o: object, m: string): void }): Promise<void> {
  return new Promise((done) => {
    const stop = (signal: string) => {
      logger.info({ signal }, "shutting down");
      process.off("SIGTERM", onTerm);
      process.off("SIGINT", onInt);
      done();
    };
    const onTerm = () => stop("SIGTERM");
    const onInt = () => stop("SIGINT");
    process.on("SIGTERM", onTerm);
    process.on("SIGINT", onInt);
  });
}

function oneOf(flag: string, v: string, allowed: readonly string[]): string {
  if (!allowed.includes(v)) throw new UsageError(`${flag} must be ${allowed.join(" or ")}, got "${v}"`);
  return v;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port must be a whole number from 0 to 65535, got "${v}"`);
  return n;
}

export function parseSpeed(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1 || n > 100_000) throw new UsageError(`--speed must be a number from 1 to 100000, got "${v}"`);
  return n;
}
