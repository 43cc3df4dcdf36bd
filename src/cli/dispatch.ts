/** `tornade <command> [options]`: picks the command, turns usage errors into usage text on stderr and exit 2. */
import { InputError, UsageError } from "./args.js";
import { CHECK_USAGE, runCheck } from "./check.js";
import { COST_USAGE, runCost } from "./cost.js";
import { EXPLAIN_USAGE, runExplain } from "./explain.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from "./io.js";
import { SANDBOX_USAGE, runSandbox } from "./sandbox.js";
import { SERVE_USAGE, runServe } from "./serve.js";

interface Command {
  readonly summary: string;
  readonly run: (argv: string[], io: CliIo) => Promise<number>;
  /** Printed on stderr after a usage error. */
  readonly usage?: string;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: { summary: "run the webhook intake, workers and HTTP server", run: runServe, usage: SERVE_USAGE },
  sandbox: { summary: "run the controller against the in-process test bed", run: runSandbox, usage: SANDBOX_USAGE },
  explain: { summary: "show what tornade would do with a job's labels or a webhook body", run: runExplain, usage: EXPLAIN_USAGE },
  check: { summary: "check the configuration, the GitHub App and the AWS resources, with fixes", run: runCheck, usage: CHECK_USAGE },
  cost: { summary: "estimate the runners' AWS cost next to GitHub-hosted runners", run: runCost, usage: COST_USAGE },
};

export const USAGE = `usage: tornade <command> [options]

commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(9)}${c.summary}`)
  .join("\n")}

Run "tornade <command> --help" for a command's options.
`;

export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === "--help" || name === "-h" || name === "help") {
    io.stdout(USAGE);
    return EXIT_OK;
  }
  if (name === undefined) {
    io.stderr(USAGE);
    return EXIT_USAGE;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.stderr(`tornade: unknown command "${name}"\n\n${USAGE}`);
    return EXIT_USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`tornade ${name}: ${err.message}\n\n${command.usage ?? `Run "tornade ${name} --help" for usage.\n`}`);
      return EXIT_USAGE;
    }
    if (err instanceof InputError) {
      io.stderr(`tornade ${name}: ${err.message}\n`);
      return EXIT_USAGE;
    }
    io.stderr(`tornade ${name}: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_FAILED;
  }
}
