/**
 * npm run chaos -- --jobs N [--seed S] [--json FILE] [--speed X] [--log FILE] [--intake webhooks|scale-set] [--static-pool SPEC] [--standby [--standby-shapes SPEC]] [--env KEY=VALUE]...
 *
 * Runs N jobs through `tornade serve` (a real child process) on the test bed twice — fault-free, then with faults —
 * prints the table and writes the JSON report. Exit 0 when no job was lost and nothing was left behind, 1 when
 * either happened (with --standby also: a JIT config used twice, a JIT parameter left), 2 on a usage error.
 */
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { formatReport, runChaos } from "./chaos.js";
import { DEFAULT_STANDBY_SHAPES } from "./standby.js";
import { CHAOS_SCALE_SETS } from "./scale-set.js";

const USAGE = `usage: npm run chaos -- --jobs N [--seed S] [--json FILE] [--speed X] [--log FILE] [--intake webhooks|scale-set] [--static-pool SPEC] [--standby [--standby-shapes SPEC]] [--env KEY=VALUE]...
  --jobs N        jobs to queue (the seed's label sets and some type=static jobs); default 200
  --seed S        seed of the plan and of every fault decision; default 1
  --json FILE     write the report as JSON
  --speed X       simulated ms per real ms, shared by the test bed and tornade; default 100, lowered for large
                  runs (50,000 / jobs: 25 at 2,000) so a 2-core machine keeps up and the drain is tornade's;
                  halved with --standby (the standbys' polls)
  --log FILE      append tornade serve's output (all its processes) to FILE
  --intake I      where jobs come from: webhooks (default), or scale-set: tornade listens to two runner scale sets
                  (${CHAOS_SCALE_SETS}) and takes no webhook, each job's runs-on names one, and
                  the message path is attacked: messages lost, duplicated, dropped before acknowledgement, acks
                  failing, tokens expiring, sessions ended and taken by a rogue, broker 5xx (docs/reliability.md
                  "Through runner scale sets"); no static jobs, no --standby
  --static-pool SPEC  run tornade with this always-on pool (TORNADE_POOL, e.g. FARGATE/X86_64=2) and count the
                  type=static jobs: served only when a pool runner takes them; default FARGATE/X86_64=2;
                  "none" leaves static jobs unserved and reports them apart
  --standby       run with standby runners and attack their handoff: standbys killed and Spot-interrupted while
                  waiting and killed during the handoff, handoff messages lost and written twice, tornade SIGKILLed
                  mid-handoff (docs/reliability.md "With standbys")
  --standby-shapes SPEC  the standbys kept (TORNADE_STANDBY); default ${DEFAULT_STANDBY_SHAPES}
  --env KEY=VAL   extra environment for tornade serve (repeatable), e.g. TORNADE_WORKERS=8`;

/**
 * At 100x a 2,000-job run outruns this 2-core machine: the simulators lag, webhooks arrive minutes late and both
 * drains measure the machine (docs/reliability.md). About 2,000 jobs at 25x (50,000 job-speed) is what it carries.
 */
function defaultSpeed(jobs: number, standby: boolean): number {
  const speed = Math.min(100, Math.max(1, Math.round(50_000 / jobs)));
  // Every waiting standby polls Parameter Store every 2 simulated seconds, through the test bed's process: at half the
  // speed the same polls cost the machine half as much per real second.
  return standby ? Math.max(1, Math.round(speed / 2)) : speed;
}

/** The seed's static jobs are served by an always-on pool in the chaos run (issue 4 point 13). */
const DEFAULT_STATIC_POOL = "FARGATE/X86_64=2";

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function positive(flag: string, raw: string | undefined, fallback: number, integer: boolean): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0 || (integer && !Number.isInteger(n))) fail(`${flag} must be a positive ${integer ? "integer" : "number"}, got ${raw}`);
  return n;
}

let args;
try {
  args = parseArgs({
    options: {
      jobs: { type: "string" },
      seed: { type: "string" },
      json: { type: "string" },
      speed: { type: "string" },
      log: { type: "string" },
      intake: { type: "string" },
      "static-pool": { type: "string" },
      standby: { type: "boolean" },
      "standby-shapes": { type: "string" },
      env: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  }).values;
} catch (e) {
  fail((e as Error).message);
}
if (args.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const env: Record<string, string> = {};
for (const kv of args.env ?? []) {
  const eq = kv.indexOf("=");
  if (eq < 1) fail(`--env takes KEY=VALUE, got ${kv}`);
  env[kv.slice(0, eq)] = kv.slice(eq + 1);
}
const seedRaw = args.seed ?? "1";
const seed = Number(seedRaw);
if (!Number.isInteger(seed) || seed < 0) fail(`--seed must be a non-negative integer, got ${seedRaw}`);

const jobs = positive("--jobs", args.jobs, 200, true);
if (args["standby-shapes"] !== undefined && !args.standby) fail("--standby-shapes needs --standby");
const intake = args.intake ?? "webhooks";
if (intake !== "webhooks" && intake !== "scale-set") fail(`--intake must be webhooks or scale-set, got ${intake}`);
const scaleSets = intake === "scale-set";
if (scaleSets && args.standby) fail("--standby runs with --intake webhooks only");
if (scaleSets && args["static-pool"] !== undefined && args["static-pool"] !== "none") fail("--static-pool runs with --intake webhooks only: a scale-set run has no static jobs");
const { report } = await runChaos({
  jobs,
  seed,
  speed: positive("--speed", args.speed, defaultSpeed(jobs, args.standby === true), false),
  env,
  ...(args.log ? { logFile: args.log } : {}),
  intake,
  ...(args["static-pool"] === "none" || scaleSets ? {} : { staticPool: args["static-pool"] ?? DEFAULT_STATIC_POOL }),
  ...(args.standby ? { standby: { shapes: args["standby-shapes"] ?? DEFAULT_STANDBY_SHAPES } } : {}),
  progress: (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${formatReport(report)}\n`);
if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
const clean = report.lost === 0 && report.orphans === 0 && report.jitConfigReuses === 0 && (report.standby === null || report.jitParametersLeft === 0);
process.exit(clean ? 0 : 1);
