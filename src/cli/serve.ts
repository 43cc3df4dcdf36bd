/**
 * `tornade serve`: the webhook intake, workers and HTTP server, configured from a file and the environment.
 * With --sandbox (a fresh clone's `npm start`) it serves the sandbox: the real controller against the in-process test
 * bed, with the seed workflow queued at start. Without configuration and without --sandbox it refuses to start.
 */
import { resolve } from "node:path";
import { sharedClock, systemClock } from "../clock/clock.js";
import { ConfigError, describeConfig, hasOwnEnvConfig, loadConfig, type Config } from "../config/index.js";
import { createLogger, type Logger } from "../log/logger.js";
import { runTornade } from "../server/run.js";
import { runSetup, SetupRefused } from "../server/setup-server.js";
import { parseCommandArgs, UsageError } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";

export const SERVE_USAGE = `usage: tornade serve [--config FILE] [--port N] [--admin-port N] [--store sqlite|dynamodb] [--queue sqlite|sqs]
                     [--sandbox [--speed N]] [--setup]

  --config FILE     configuration file (YAML or JSON); also TORNADE_CONFIG. The environment overrides it.
  --port N          public HTTP port (default 8080; also PORT), on TORNADE_HOST (default 0.0.0.0)
  --admin-port N    operator HTTP port (default 9090; also TORNADE_ADMIN_PORT), on TORNADE_ADMIN_HOST (default 127.0.0.1)
  --store KIND      sqlite (default, one process) or dynamodb (replicas; also TORNADE_STORE, with TORNADE_DYNAMODB_TABLE)
  --queue KIND      sqlite (default) or sqs (replicas; also TORNADE_QUEUE, with TORNADE_SQS_QUEUE_URL)
  --sandbox         run against the in-process simulated GitHub and AWS (npm start does this)
  --speed N         sandbox only: how much faster than real time the simulated world runs (default 20)
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
  });
  if (values.help) {
    io.stdout(SERVE_USAGE);
    return EXIT_OK;
  }
  const port = values.port === undefined ? undefined : parsePort("--port", values.port);
  const adminPort = values["admin-port"] === undefined ? undefined : parsePort("--admin-port", values["admin-port"]);
  if (values.setup === true && values.sandbox === true) throw new UsageError("--setup is not for --sandbox: the sandbox serves /setup itself");
  const env = {
    ...io.env,
    ...(port === undefined ? {} : { PORT: String(port) }),
    ...(adminPort === undefined ? {} : { TORNADE_ADMIN_PORT: String(adminPort) }),
    ...(values.store === undefined ? {} : { TORNADE_STORE: oneOf("--store", values.store, ["sqlite", "dynamodb"]) }),
    ...(values.queue === undefined ? {} : { TORNADE_QUEUE: oneOf("--queue", values.queue, ["sqlite", "sqs"]) }),
  };
  let config;
  try {
    // The wizard runs before there are credentials, a webhook secret or AWS: only what it reads is required.
    const options = { sandbox: values.sandbox === true, cwd: io.cwd, partial: values.setup === true };
    config = loadConfig(env, values.config === undefined ? undefined : resolve(io.cwd, values.config), options);
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
  if (values.setup === true) return serveSetup(config, logger, io);
  if (config.sandbox) {
    const speed = values.speed === undefined ? 20 : parseSpeed(values.speed);
    io.stderr(
      `\n  *** SANDBOX *** tornade is running against a SIMULATED GitHub and AWS (clock ${speed}x).\n` +
        `  Nothing real is contacted. Configure a GitHub App and AWS to run for real (see README).\n\n`,
    );
    const { startSandbox } = await loadSandbox();
    const sandbox = await startSandbox({ speed, logger, port: config.server.port, adminPort: config.admin.port, launchLabel: config.launchLabel });
    io.stderr(
      `  tornade: ${sandbox.tornade.url}   (public: POST /events, GET /healthz)\n` +
        `  operator: ${sandbox.tornade.adminUrl}   (dashboard at /, /api/state, /metrics; /setup asks for code ${sandbox.setupCode})\n` +
        `  the seed workflow is queued; watch it on the dashboard.\n\n`,
    );
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

/** `serve --setup`: the wizard alone on the operator listener, its one-time code on the console (never in the log). */
async function serveSetup(config: Config, logger: Logger, io: CliIo): Promise<number> {
  let running;
  try {
    running = await runSetup(config, { clock: systemClock, logger });
  } catch (err) {
    if (err instanceof SetupRefused) {
      io.stderr(`tornade serve --setup: ${err.message}\n`);
      return EXIT_FAILED;
    }
    throw err;
  }
  io.stderr(
    `\n  tornade setup wizard: open ${running.url}/setup\n` +
      `  setup code: ${running.code}   (the first page asks for it; valid until the App is created)\n` +
      `  the App's credentials will be written to ${running.credentialsPath} (mode 0600)\n\n`,
  );
  void running.done.then(() =>
    io.stderr(`\n  credentials written to ${running.credentialsPath}. Stop this process and run: TORNADE_CONFIG=${running.credentialsPath} tornade serve\n\n`),
  );
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
