/**
 *   node bin/run-ts.js bench/log-line.ts [--lines N] [--json FILE] > /dev/null
 *
 * What one log line at info costs the event loop, side by side in one run, each logger writing N lines of the shape
 * a static job's "job not launched" has, through a child carrying its jobId, to stdout (send stdout to /dev/null or
 * a pipe: this measures tornade's side of the write):
 * - tornade's logger (src/log/logger.ts: censor.ts, and pino's redaction of top-level secret names);
 * - the logger as it was until 2026-12-07: pino's redaction of the same names at the top level and one level down
 *   (`token`, `*.token`, …);
 * - pino with no redaction at all (the floor).
 * Two rounds, in turn, after a warm-up of all three. Prints a table to stderr and JSON (CPU µs a line, user + system).
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { pino, type Logger } from "pino";
import { REDACTED } from "../src/config/redact.js";
import { SECRET_KEYS } from "../src/log/censor.js";
import { createLogger } from "../src/log/logger.js";
import { round } from "./stats.js";

const args = parseArgs({ options: { lines: { type: "string" }, json: { type: "string" } }, strict: true }).values;
const N = Number(args.lines ?? 200_000);
const BASE = { level: "info", base: { service: "tornade" }, timestamp: pino.stdTimeFunctions.isoTime };
const WITH_WILDCARDS = [...SECRET_KEYS].flatMap((k) => [k, `*.${k}`]);

const loggers: Record<string, Logger> = {
  tornade: createLogger({ level: "info" }),
  "until 2026-12-07 (*.key paths)": pino({ ...BASE, redact: { paths: WITH_WILDCARDS, censor: REDACTED } }),
  "no redaction": pino(BASE),
};

const line = { repository: "acme/app", labels: ["self-hosted", "tornade", "type=static"], reason: "a static pool serves it" };
const children = Object.fromEntries(Object.entries(loggers).map(([name, log]) => [name, log.child({ jobId: 25_000_000_001 })]));
// Every logger warmed up before any is measured: the first one measured otherwise pays the JIT's compiling.
for (const child of Object.values(children)) for (let i = 0; i < N / 4; i++) child.info(line, "job not launched");

function cpuMicrosPerLine(child: Logger): number {
  const before = process.cpuUsage();
  for (let i = 0; i < N; i++) child.info(line, "job not launched");
  const used = process.cpuUsage(before);
  return (used.user + used.system) / N;
}

const rounds: Record<string, number[]> = {};
for (let r = 0; r < 2; r++) for (const [name, child] of Object.entries(children)) (rounds[name] ??= []).push(round(cpuMicrosPerLine(child), 2));

const out = { lines: N, cpuMicrosPerLine: rounds };
process.stderr.write(`${N} lines a logger, two rounds (CPU µs a line)\n`);
for (const [name, values] of Object.entries(rounds)) process.stderr.write(`  ${name.padEnd(32)} ${values.join("  ")}\n`);
process.stderr.write(`${JSON.stringify(out)}\n`);
if (args.json) writeFileSync(args.json, `${JSON.stringify(out, null, 2)}\n`);
