/** Command-line parsing on node:util parseArgs, turning its errors into a usage error the dispatcher prints. */
import { parseArgs, type ParseArgsConfig } from "node:util";

export class UsageError extends Error {
  override readonly name = "UsageError";
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
      args: [...argv],
      options: { ...options, help: { type: "boolean", short: "h" } } as WithHelp<O>,
      strict: true,
      allowPositionals: positionals,
    });
  } catch (err) {
    // parseArgs's messages already name the flag ("Unknown option '--x'"); keep them, drop its internal code.
    throw new UsageError((err as Error).message);
  }
}
