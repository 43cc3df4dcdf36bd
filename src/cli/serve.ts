/**
 * `tornade serve`: the webhook intake, workers and HTTP listeners, configured from a file and the environment.
 * With --sandbox (a fresh clone's `npm start`) it serves the sandbox (serve-sandbox.ts); with --setup only the setup
 * wizard (serve-setup.ts); with --testbed FILE it runs for real against a standing test bed. Without configuration
 * and without --sandbox it refuses to start and names what to set.
 */
import { resolve } from "node:path";
import { sharedClock, systemClock } from "../clock/clock.js";
import { ConfigError, TEST_BED_AWS_CREDENTIALS, describeConfig, hasOwnEnvConfig, loadConfig, readTestBedFile } from "../config/index.js";
import { createLogger } from "../log/logger.js";
import { runTornade } from "../server/run.js";
import { parseCommandArgs, UsageError } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";
import { serveSandbox } from "./serve-sandbox.js";
import { serveSetup } from "./serve-setup.js";
import { untilSignal } from "./signals.js";

export const SERVE_USAGE = `usage: tornade serve [--config FILE] [--port N] [--admin-port N] [--store sqlite|dynamodb] [--queue sqlite|sqs]
                     [--sandbox [--speed N] | --testbed FILE | --setup]

  --config FILE     configuration file (YAML or JSON); also TORNADE_CONFIG. The environment overrides it.
  --port N          public HTTP port (default 8080; also PORT), on TORNADE_HOST (default 0.0.0.0)
  --admin-port N    operator HTTP port (default 9090; also TORNADE_ADMIN_PORT), on TORNADE_ADMIN_HOST (default 127.0.0.1)
  --store KIND      sqlite (default, one process) or dynamodb (replicas; also TORNADE_STORE, with TORNADE_DYNAMODB_TABLE)
  --queue KIND      sqlite (default) or sqs (replicas; also TORNADE_QUEUE, with TORNADE_SQS_QUEUE_URL)
  --sandbox         run against the in-process simulated GitHub and AWS (npm start does this)
  --speed N         sandbox only: how much faster than real time the simulated world runs (default 20)
  --testbed FILE    run against a standing test bed (npm run testbed -- --port-file FILE): its GitHub and AWS
                    endpoints, App, webhook secret, cluster, subnets, task definitions, projects and clock
  --setup           no GitHub credentials yet: serve only the setup wizard (GET /setup on the operator port), which
                    creates the GitHub App from a manifest and writes its credentials; prints the code it asks for

Public port: POST /events (GitHub App webhook), GET /healthz (liveness). Nothing else.
Operator port: GET / (dashboard), GET /api/state (its JSON), GET /metrics (Prometheus); a bearer token
(TORNADE_ADMIN_TOKEN) on every request when it is not bound to loopback.
`;

export async function runServe(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    config: { type: "string" },
    port: { type: "string" },
    "admin-port": { type: "string" },
    setup: { type: "boolean" },
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
  const port = values.port === undefined ? undefined : parsePort("--port", values.port);
  const adminPort = values["admin-port"] === undefined ? undefined : parsePort("--admin-port", values["admin-port"]);
  const modes = (["sandbox", "testbed", "setup"] as const).filter((m) => values[m] !== undefined && values[m] !== false);
  if (modes.length > 1) {
    throw new UsageError(`--${modes.join(" and --")} exclude each other: --sandbox starts a test bed of its own, --setup runs before there is anything to run against`);
  }
  const env = {
    ...io.env,
    ...(port === undefined ? {} : { PORT: String(port) }),
    ...(adminPort === undefined ? {} : { TORNADE_ADMIN_PORT: String(adminPort) }),
    ...(values.store === undefined ? {} : { TORNADE_STORE: oneOf("--store", values.store, ["sqlite", "dynamodb"]) }),
    ...(values.queue === undefined ? {} : { TORNADE_QUEUE: oneOf("--queue", values.queue, ["sqlite", "sqs"]) }),
  };
  let config;
  try {
    // A standing test bed's port file, in the environment's names; the flag wins over the same variables.
    const bed = values.testbed === undefined ? {} : readTestBedFile(resolve(io.cwd, values.testbed));
    // The wizard runs before there are credentials, a webhook secret or AWS: only what it reads is required.
    const options = { sandbox: values.sandbox === true, cwd: io.cwd, partial: values.setup === true };
    config = loadConfig({ ...env, ...bed }, values.config === undefined ? undefined : resolve(io.cwd, values.config), options);
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
  const logger = createLogger({ level: config.logLevel });
  if (values.setup === true) return serveSetup(config, logger, io);
  if (config.sandbox) return serveSandbox(config, values.speed === undefined ? 20 : parseSpeed(values.speed), logger, io);
  if (values.speed !== undefined) throw new UsageError("--speed is only for --sandbox");
  logger.info({ config: describeConfig(config) }, "configuration loaded");
  warnIfOldNode(logger);
  // Against a compressed test bed (chaos runs, restart tests, --testbed), tornade keeps the test bed's time.
  const { speed, origin } = config.clock;
  const clock = speed === 1 && origin === undefined ? systemClock : sharedClock(speed, origin ?? Date.now());
  // The test bed's AWS takes any signature: no need for the operator to invent credentials for it.
  const running = await runTornade(config, { clock, logger, ...(values.testbed === undefined ? {} : { awsCredentials: TEST_BED_AWS_CREDENTIALS }) });
  await untilSignal(logger);
  await running.close();
  return EXIT_OK;
}

/** Node.js 20 reached its end of life on 2026-04-30; tornade is tested on 20 and 24 and ships on 24. One line. */
function warnIfOldNode(logger: { warn(o: object, m: string): void }): void {
  const major = Number(process.versions.node.split(".")[0]);
  if (major < 24) logger.warn({ node: process.version }, "Node.js before 24 is past its end of life or untested; run tornade on Node.js 24 LTS");
}

function oneOf(flag: string, v: string, allowed: readonly string[]): string {
  if (!allowed.includes(v)) throw new UsageError(`${flag} must be ${allowed.join(" or ")}, got "${v}"`);
  return v;
}

function parsePort(flag: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`${flag} must be a whole number from 0 to 65535, got "${v}"`);
  return n;
}

export function parseSpeed(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 1 || n > 100_000) throw new UsageError(`--speed must be a number from 1 to 100000, got "${v}"`);
  return n;
}
