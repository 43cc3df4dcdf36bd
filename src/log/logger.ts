/**
 * Structured JSON logs (pino). One line per decision, with the job id on every line about a job.
 * Secrets must never reach a log line: the censor (censor.ts) is a second line of defence, not the first.
 */
import { pino, type Logger, type DestinationStream } from "pino";
import { REDACTED } from "../config/redact.js";
import { censorSecrets, SECRET_KEYS } from "./censor.js";

export type { Logger };

export interface LoggerOptions {
  readonly level?: string;
  /** Where lines go; default stdout. */
  readonly destination?: DestinationStream;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? "info",
      base: { service: "tornade" },
      // The censor (censor.ts) on each line's object. pino gives a child logger's bindings to no formatter, so its
      // own redaction, at the top level only (which costs nothing; its `*.key` paths cost 6–7 µs a line), covers them.
      formatters: { log: censorSecrets },
      redact: { paths: [...SECRET_KEYS], censor: REDACTED },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** A logger that drops everything, for tests and the quiet parts of the sandbox. */
export const silentLogger: Logger = pino({ level: "silent" });
