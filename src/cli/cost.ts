/**
 * `tornade cost [--since 7d] [--json] [--config FILE]`: per backend and arch, the jobs, runner-minutes, estimated AWS
 * cost, the GitHub-hosted equivalent and the saving, read from tornade's store (src/cost, priced by core/cost.ts).
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { systemClock } from "../clock/clock.js";
import { ceilingsOf, ConfigError, loadConfig } from "../config/index.js";
import { parseDuration } from "../core/cost.js";
import { priceNotes, pricesOf } from "../cost/prices.js";
import { costReport, formatCostReport } from "../cost/report.js";
import { openSqlite } from "../store/sqlite.js";
import { sqliteStore } from "../store/sqlite-store.js";
import { parseCommandArgs, UsageError } from "./args.js";
import { EXIT_FAILED, EXIT_OK, type CliIo } from "./io.js";

export const COST_USAGE = `usage: tornade cost [--since DURATION] [--json] [--config FILE]

Estimates what tornade's runners cost on AWS, per backend and arch, next to what the same jobs would have cost on
GitHub-hosted 2-core runners, from the launches in tornade's store (store.path / TORNADE_STORE_PATH).

  --since D      how far back: 90m, 12h, 7d (default), 4w
  --json         print the report as JSON
  --config FILE  configuration file (YAML or JSON); also TORNADE_CONFIG. Prices: the prices section.

Prices default to AWS's and GitHub's published us-east-1 figures (docs/operations.md lists them with sources).
`;

export async function runCost(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseCommandArgs(argv, { since: { type: "string" }, json: { type: "boolean" }, config: { type: "string" } });
  if (values.help) {
    io.stdout(COST_USAGE);
    return EXIT_OK;
  }
  const sinceMs = parseDuration(values.since ?? "7d");
  if (sinceMs === undefined) throw new UsageError(`--since must be a number and a unit (s, m, h, d, w), e.g. 7d; got "${values.since ?? ""}"`);
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
  if (path === ":memory:" || !existsSync(resolve(io.cwd, path))) {
    io.stderr(`tornade cost: no store at ${path === ":memory:" ? "(in memory: a sandbox keeps nothing)" : resolve(io.cwd, path)}. Fix: point TORNADE_STORE_PATH (or store.path) at the SQLite file tornade serve uses\n`);
    return EXIT_FAILED;
  }
  const store = sqliteStore(openSqlite(resolve(io.cwd, path)), systemClock);
  try {
    const prices = pricesOf(config);
    const until = systemClock.now();
    const report = await costReport(store, { since: until - sinceMs, until, prices, notes: priceNotes(config, prices), ceilings: ceilingsOf(config) });
    io.stdout(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatCostReport(report));
    return EXIT_OK;
  } finally {
    await store.close();
  }
}
