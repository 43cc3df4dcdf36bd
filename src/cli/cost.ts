/**
 * `tornade cost [--since 7d] [--json] [--config FILE]`: per backend and arch, the jobs, runner-minutes, estimated AWS
 * cost, the GitHub-hosted equivalent and the saving, read from tornade's store (src/cost, priced by core/cost.ts).
 */
import { resolve } from "node:path";
import { systemClock } from "../clock/clock.js";
import { ceilingsOf, ConfigError, loadConfig } from "../config/index.js";
import { DURATION_GRAMMAR, formatDuration, parseDuration } from "../core/duration.js";
import { priceNotes, pricesOf } from "../cost/prices.js";
import { costReport, formatCostReport } from "../cost/report.js";
import { CostStoreError, openCostStore } from "../cost/store-file.js";
import { InputError, parseCommandArgs } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";

/**
 * How far back --since may reach. tornade keeps every job, so any window up to the store's history makes sense; a
 * window of centuries is a typo (99999w once printed a report "from the year 0110").
 */
const SINCE_MAX_MS = 520 * 604_800_000;

export const COST_USAGE = `usage: tornade cost [--since DURATION] [--json] [--config FILE]

Estimates what tornade's runners cost on AWS, per backend and arch, next to what the same jobs would have cost on
GitHub-hosted 2-core runners, from the launches in tornade's store (store.path / TORNADE_STORE_PATH).

  --since D      how far back from now: 0s to ${formatDuration(SINCE_MAX_MS)} (ten years), e.g. 90m, 12h, 7d (default), 4w; a window
                 reaching back past the store's first job starts there
  --json         print the report as JSON
  --config FILE  configuration file (YAML or JSON); also TORNADE_CONFIG. Prices: the prices section.

Prices default to AWS's and GitHub's published us-east-1 figures (docs/operations.md lists them with sources).
Exit status: 0 with a report, 1 when the store cannot be read, 2 on a usage error or a bad --since.
`;

/** --since as milliseconds, or an InputError saying what is accepted. */
function sinceMs(text: string): number {
  const ms = parseDuration(text);
  if (ms !== undefined && ms <= SINCE_MAX_MS) return ms;
  if (/^\s*-/.test(text)) throw new InputError(`--since counts back from now and cannot be negative; got "${text}". Fix: give how far back, e.g. ${text.trim().slice(1)}`);
  if (ms !== undefined) {
    throw new InputError(`--since ${text} reaches back further than ${formatDuration(SINCE_MAX_MS)} (ten years). Fix: give ${formatDuration(SINCE_MAX_MS)} or less; a window past the store's first job starts there anyway`);
  }
  throw new InputError(`--since must be ${DURATION_GRAMMAR}, from 0s to ${formatDuration(SINCE_MAX_MS)}; got "${text}"`);
}

export async function runCost(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { since: { type: "string" }, json: { type: "boolean" }, config: { type: "string" } });
  if (values.help) {
    io.stdout(COST_USAGE);
    return EXIT_OK;
  }
  const since = sinceMs(values.since ?? "7d");
  let config;
  try {
    // Only the store and the prices are needed: no credentials.
    config = loadConfig(io.env, values.config === undefined ? undefined : resolve(io.cwd, values.config), { cwd: io.cwd, partial: true });
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`tornade cost: ${err.message}\n`);
      return EXIT_FAILED;
    }
    throw err;
  }
  const path = config.store.path;
  if (path === ":memory:") {
    const why = config.sandbox ? "the sandbox keeps its store in memory, gone when it stops" : "an in-memory store is gone when tornade stops";
    io.stderr(
      `tornade cost: there is no store to read: store.path is ":memory:" (${why}). ` +
        `Fix: set TORNADE_STORE_PATH (or store.path in a --config file) to the SQLite file tornade serve writes (tornade.db in its working directory unless configured)\n`,
    );
    return EXIT_FAILED;
  }
  let store;
  try {
    store = openCostStore(resolve(io.cwd, path), systemClock);
  } catch (err) {
    if (!(err instanceof CostStoreError)) throw err;
    io.stderr(`tornade cost: ${err.message}\n`);
    return EXIT_FAILED;
  }
  try {
    const prices = pricesOf(config);
    const until = systemClock.now();
    const report = await costReport(store, { since: until - since, until, prices, notes: priceNotes(config, prices), ceilings: ceilingsOf(config) });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatCostReport(report));
    return EXIT_OK;
  } finally {
    await store.close();
  }
}
