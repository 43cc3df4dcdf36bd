/**
 * `tornade serve`: the webhook intake, workers and HTTP server, configured from a file and the environment.
 * With --sandbox (a fresh clone's `npm start`) it serves the sandbox: the real controller against the in-process test
 * bed, with the seed workflow queued at start. Without configuration and without --sandbox it refuses to start.
 */
import { resolve } from "node:path";
import { sharedClock, systemClock } from "../clock/clock.js";
import { ConfigError, describeConfig, hasOwnEnvConfig, loadConfig } from "../config/index.js";
import { createLogger } from "../log/logger.js";
import { runTornade } from "../server/run.js";
import { parseCommandArgs, UsageError } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";

export const SERVE_USAGE = `usage: tornade serve [--config FILE] [--port N] [--store sqlite|dynamodb] [--queue sqlite|sqs]
                     [--sandbox [--speed N]]

  --config FILE  configuration file (YAML or JSON); also TORNADE_CONFIG. The environment overrides it.
  --port N       HTTP port (default 8080; also PORT)
  --store KIND   sqlite (default, one process) or dynamodb (replicas; also TORNADE_STORE, with TORNADE_DYNAMODB_TABLE)
  --queue KIND   sqlite (default) or sqs (replicas; also TORNADE_QUEUE, with TORNADE_SQS_QUEUE_URL)
  --sandbox      run against the in-process simulated GitHub and AWS (npm start does this)
  --speed N      sandbox only: how much faster than real time the simulated world runs (default 20)

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
  let config;
  try {
    config = loadConfig(env, values.config === undefined ? undefined : resolve(io.cwd, values.config), { sandbox: values.sandbox === true, cwd: io.cwd });
  } catch (err) {
    if (err instanceof ConfigError) {
      const nothingSet = values.config === undefined && !hasOwnEnvConfig(io.env);
      const hint = nothingSet
        ? "\nNothing is configured. Set the values above (see the README's configuration reference), or try tornade " +
          "against a simulated GitHub and AWS with: tornade serve --sandbox\n"
        : "";
      io.stderr(`tornade serve: ${err.message}\n${hint}`);
      return EXIT_FAILED;
    }
    throw err;
  }
  const logger = createLogger();
  if (config.sandbox) {
    const speed = values.speed === undefined ? 20 : parseSpeed(values.speed);
    io.stderr(
      `\n  *** SANDBOX *** tornade is running against a SIMULATED GitHub and AWS (clock ${speed}x).\n` +
        `  Nothing real is contacted. Configure a GitHub App and AWS to run for real (see README).\n\n`,
    );
    const { startSandbox } = await loadSandbox();
    const sandbox = await startSandbox({ speed, logger, port: config.server.port, launchLabel: config.launchLabel });
    io.stderr(`  tornade: ${sandbox.tornade.url}   (dashboard at /, POST /events, GET /healthz, GET /metrics)\n  the seed workflow is queued; watch it on the dashboard.\n\n`);
    await sandbox.queueSeedWorkflow();
    await untilSignal(logger);
    await sandbox.close();
    return EXIT_OK;
  }
  if (values.speed !== undefined) throw new UsageError("--speed is only for --sandbox");
  logger.info({ config: describeConfig(config) }, "configuration loaded");
  warnIfOldNode(logger);
  // Against a compressed test bed (chaos runs, restart tests), tornade keeps the test bed's time.
  const { speed, origin } = config.clock;
  const clock = speed === 1 && origin === undefined ? systemClock : sharedClock(speed, origin ?? Date.now());
  const running = await runTornade(config, { clock, logger });
  await untilSignal(logger);
  await running.close();
  return EXIT_OK;
}

/** Node.js 20 reached its end of life on 2026-04-30; tornade is tested on 20 and 24 and ships on 24. One line. */
function warnIfOldNode(logger: { warn(o: object, m: string): void }): void {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 24) logger.warn({ node: process.version }, "Node.js before 24 is past its end of life or untested; run tornade on Node.js 24 LTS");
}

/**
 * The sandbox and its test bed load only here, on demand: production starts never pay for them, and the controller's
 * container image leaves the test bed out.
 */
async function loadSandbox(): Promise<typeof import("../sandbox/sandbox.js")> {
  try {
    return await import("../sandbox/sandbox.js");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ERR_MODULE_NOT_FOUND") throw err;
    throw new Error(
      "this installation has no sandbox (the controller's container image leaves the test bed out). " +
        "Fix: run the sandbox from the npm package or a clone (npx tornade serve --sandbox), or configure tornade",
    );
  }
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
