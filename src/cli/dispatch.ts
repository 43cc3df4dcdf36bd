/** `tornade <command> [options]`: picks the command, turns usage errors into usage text on stderr and exit 2. */
import { InputError, UsageError } from "./args.js";
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliIo } from "./io.js";

interface CommandModule {
  readonly run: (argv: string[], io: CliIo) => Promise<number>;
  /** Printed on stderr after a usage error. */
  readonly usage: string;
}

interface Command {
  readonly summary: string;
  /**
   * Loaded only when the command runs: `tornade --help` and `explain` must not pay for the AWS SDK, Octokit or the
   * test bed, and only the sandbox commands may load the test bed at all.
   */
  readonly load: () => Promise<CommandModule>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: {
    summary: "run the webhook intake, workers and HTTP server",
    load: async () => import("./serve.js").then((m) => ({ run: m.runServe, usage: m.SERVE_USAGE })),
  },
  sandbox: {
    summary: "run the controller against the in-process test bed",
    load: async () => import("./sandbox.js").then((m) => ({ run: m.runSandbox, usage: m.SANDBOX_USAGE })),
  },
  explain: {
    summary: "show what tornade would do with a job's labels or a webhook body",
    load: async () => import("./explain.js").then((m) => ({ run: m.runExplain, usage: m.EXPLAIN_USAGE })),
  },
  check: {
    summary: "check the configuration, the GitHub App and the AWS resources, with fixes",
    load: async () => import("./check.js").then((m) => ({ run: m.runCheck, usage: m.CHECK_USAGE })),
  },
  cost: {
    summary: "estimate the runners' AWS cost next to GitHub-hosted runners",
    load: async () => import("./cost.js").then((m) => ({ run: m.runCost, usage: m.COST_USAGE })),
  },
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
  let loaded: CommandModule | undefined;
  try {
    loaded = await command.load();
    return await loaded.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`tornade ${name}: ${err.message}\n\n${loaded?.usage ?? ""}`);
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
