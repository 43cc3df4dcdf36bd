/**
 * Structured JSON logs (pino). One line per decision, with the job id on every line about a job.
 * Secrets must never reach a log line: the redact list is a second line of defence, not the first.
 */
import { pino, type Logger, type DestinationStream } from "pino";

export type { Logger };

const REDACT = [
  "token",
  "*.token",
  "jitConfig",
  "*.jitConfig",
  "encodedJitConfig",
  "*.encodedJitConfig",
  "encoded_jit_config",
  "*.encoded_jit_config",
  "privateKey",
  "*.privateKey",
  "webhookSecret",
  "*.webhookSecret",
  "personalToken",
  "*.personalToken",
  "authorization",
  "*.authorization",
  "headers.authorization",
];

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
      redact: { paths: REDACT, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    opts.destination,
  );
}

/** A logger that drops everything, for tests and the quiet parts of the sandbox. */
export const silentLogger: Logger = pino({ level: "silent" });
