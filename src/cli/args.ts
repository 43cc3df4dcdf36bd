/** Command-line parsing on node:util parseArgs, turning its errors into a usage error the dispatcher prints. */
import { parseArgs, type ParseArgsConfig } from "node:util";

/** The command line itself is wrong (an unknown or missing flag): the message, then the command's usage text. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/**
 * Something the command line names is wrong — a file that cannot be read or parsed, a value out of range. Exit 2 like
 * a usage error, but only the message: the usage text would bury it.
 */
export class InputError extends Error {
  override readonly name = "InputError";
}

type Options = NonNullable<ParseArgsConfig["options"]>;
type WithHelp<O extends Options> = O & { help: { type: "boolean"; short: "h" } };
/** What parseArgs returns for these options (named, so the compiled declarations can state it). */
export type ParsedArgs<O extends Options> = ReturnType<
  typeof parseArgs<{ args: string[]; options: WithHelp<O>; strict: true; allowPositionals: boolean }>
>;

/** Parses `argv` against `options` (plus --help). No positional arguments unless `positionals` is true. */
export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, positionals = false): ParsedArgs<O> {
  try {
    return parseArgs({
      args: attachNegativeValues(argv, options),
      options: { ...options, help: { type: "boolean", short: "h" } } as WithHelp<O>,
      strict: true,
      allowPositionals: positionals,
    });
  } catch (err) {
    // parseArgs's messages already name the flag ("Unknown option '--x'"); keep them, drop its internal code.
    throw new UsageError((err as Error).message);
  }
}

/**
 * `--since -1d`: parseArgs takes a value that starts with "-" for an option and refuses the pair as "ambiguous". A
 * value that looks like a negative number is attached (`--since=-1d`), so the command judges it and says what it
 * accepts instead.
 */
function attachNegativeValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === "--") return [...out, ...argv.slice(i)];
    const next = argv[i + 1];
    const name = arg.slice(2);
    if (arg.startsWith("--") && Object.hasOwn(options, name) && options[name]?.type === "string" && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}
