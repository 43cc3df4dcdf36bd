/**
 * Scale-set mode's GitHub calls per job and pickup (issue 15, point 4; docs/performance.md "Scale-set mode").
 *
 * `tornade serve` with TORNADE_INTAKE=scale-sets (no webhook at all) and one scale set, against the test bed's scale
 * set service, spoken to by tornade's own client over HTTP: the long poll held ~50 s when idle, the statistics round
 * every 30 s, everything at its default. The scale set's runners are FARGATE/ARM64, the pickup stage's cold shape, on
 * the same `published` boot clock and clock speed, so `pickup` here compares with `pickup.cold` there. Jobs whose
 * runs-on names the scale set arrive as seeded Poisson arrivals at each rate in turn, each rate in a world of its own:
 * - idle (the first world only, once its session is open, before any job): every GitHub call over `idleMinutes`,
 *   scaled to an hour — what a scale set costs with nothing to do;
 * - a warm-up at the rate, not measured, so that runners are booting, running and completing as in steady state;
 * - the measured window: every GitHub call the sim counted in it (polls, acknowledgements, acquirejobs,
 *   generatejitconfig, statistics, sessions, tokens, REST: bench/scale-set-calls.ts sorts them) over the jobs queued
 *   in it; then, once each of those jobs started, their pickup as GitHub reports it (`started_at − created_at`).
 * Calls that come once an hour (the installation token, the registration token and its exchange, the session's
 * queue token) fall outside windows shorter than that; docs/scale-sets.md counts them.
 */
import { RUNNER_NAME_ENV } from "../src/core/runner-env.js";
import { parseSpareRunnerName } from "../src/core/scale-set.js";
import { prng } from "../testbed/prng.js";
import { poissonArrivals } from "./arrivals.js";
import { jobStarted, modelledColdBootS, pickupSeconds, quantiles, type Quantiles } from "./pickup.js";
import { callsPerHour, callsPerJob, type CallKind, type CallRate } from "./scale-set-calls.js";
import { waitFor } from "./stats.js";
import { startWorld } from "./world.js";

export interface ScaleSetRateOptions {
  /** Jobs per simulated minute, on average. */
  ratePerMinute: number;
  warmupMinutes: number;
  steadyMinutes: number;
}

export interface ScaleSetBenchOptions {
  /** Clock speed; the pickup stage's (10), so that tornade's real milliseconds weigh the same in both. */
  speed: number;
  /** The first is the headline (`apiPerJob`, `pickup`). */
  rates: ScaleSetRateOptions[];
  /** Simulated minutes with the session open and no job, in the first world; 0 skips it. */
  idleMinutes: number;
  seed?: number;
  progress: (s: string) => void;
}

export interface ScaleSetRateResult {
  ratePerMinute: number;
  /** Jobs queued in the measured window. */
  jobs: number;
  steadyMinutes: number;
  /** GitHub calls in the window per job queued in it, polls included. */
  apiPerJob: number;
  byKind: Record<CallKind, number>;
  /** The sim's counts in the window, by route. */
  githubCalls: Record<string, number>;
  /** The window's jobs, queued → picked up by a runner (simulated seconds); `jobs`: how many had started. */
  pickup: Quantiles & { jobs: number };
  /** The median boot the model drew for this world's runners (provisioning + pull + runner start). */
  modelledColdBootS: number;
  failedJobs: number;
  /** Runners the statistics round started for no job (tornade-spare-…) in this world, warm-up and window alike: with
   *  every message arriving, 0; more means the statistics saw assigned jobs before their messages were taken in. */
  spareRunners: number;
}

export interface ScaleSetResult {
  /** The first rate's figures, the headline. */
  apiPerJob: number;
  byKind: Record<CallKind, number>;
  ratePerMinute: number;
  pickup: Quantiles & { jobs: number };
  modelledColdBootS: number;
  /** GitHub calls an hour with the session open and no job (one scale set); absent when idleMinutes was 0. */
  idle?: CallRate & { minutes: number };
  rates: ScaleSetRateResult[];
  /** The scale set's runner: what its jobs get. */
  shape: string;
  speed: number;
}

const SET = "bench-arm";
const SHAPE = "FARGATE/ARM64";
/** maxRunners (X-ScaleSetMaxCapacity): well above the ~150 runners 60 jobs a minute keep booting or busy, so capacity never holds a job back. */
const MAX_RUNNERS = 400;
const JOB_SECONDS = 20;

export async function benchScaleSet(opts: ScaleSetBenchOptions): Promise<ScaleSetResult> {
  if (opts.rates.length === 0) throw new Error("benchScaleSet: give at least one rate");
  const rates: ScaleSetRateResult[] = [];
  let idle: ScaleSetResult["idle"] | undefined;
  for (const [i, rate] of opts.rates.entries()) {
    const idleMinutes = i === 0 ? opts.idleMinutes : 0;
    const out = await benchRate(opts, rate, idleMinutes);
    rates.push(out.rate);
    if (out.idle) idle = { ...out.idle, minutes: idleMinutes };
  }
  const head = rates[0]!;
  return {
    apiPerJob: head.apiPerJob,
    byKind: head.byKind,
    ratePerMinute: head.ratePerMinute,
    pickup: head.pickup,
    modelledColdBootS: head.modelledColdBootS,
    ...(idle ? { idle } : {}),
    rates,
    shape: SHAPE,
    speed: opts.speed,
  };
}

async function benchRate(opts: ScaleSetBenchOptions, rate: ScaleSetRateOptions, idleMinutes: number): Promise<{ rate: ScaleSetRateResult; idle?: CallRate }> {
  const say = (s: string) => opts.progress(`  scaleSet ${rate.ratePerMinute}/min: ${s}`);
  const seed = opts.seed ?? 5;
  const world = await startWorld({
    speed: opts.speed,
    webhooks: false,
    boot: { profile: "published", seed },
    env: { TORNADE_INTAKE: "scale-sets", TORNADE_SCALE_SETS: `${SET}=${SHAPE}:0-${MAX_RUNNERS}` },
    envOf: (bed) => {
      const d = bed.description().github;
      return { TORNADE_SCALE_SETS_OWNER: d.owner, TORNADE_SCALE_SETS_REPO: d.repo, TORNADE_SCALE_SETS_INSTALLATION_ID: String(d.installationId) };
    },
  });
  try {
    const gh = world.bed.github.control;
    const listening = () => gh.scaleSets.list().some((s) => s.name === SET && s.session?.alive === true);
    if (!(await waitFor(listening, 30_000))) throw new Error(`scaleSet: tornade opened no session on scale set ${SET} within 30 s; its output:\n${world.proc.output().slice(-4000)}`);
    let idle: CallRate | undefined;
    if (idleMinutes > 0) {
      say(`idle, ${idleMinutes} simulated minutes with the session open (${opts.speed}x clock)`);
      gh.resetStats();
      await world.clock.sleep(idleMinutes * 60_000);
      idle = callsPerHour(gh.stats().requests, idleMinutes);
    }
    const next = prng(seed);
    const measured: number[] = [];
    let n = 0;
    const queue = (into?: number[]) => {
      const run = gh.createRun({ workflowName: "scale-set", jobs: [{ name: `scale-set-${n++}`, labels: [SET], durationSeconds: JOB_SECONDS }] });
      for (const j of run.jobs) into?.push(Number(j.id));
    };
    say(`warm-up, ${rate.warmupMinutes} simulated minutes`);
    await poissonArrivals(world.clock, next, rate.ratePerMinute, rate.warmupMinutes, () => queue());
    gh.resetStats();
    say(`measured, ${rate.steadyMinutes} simulated minutes`);
    await poissonArrivals(world.clock, next, rate.ratePerMinute, rate.steadyMinutes, () => queue(measured));
    const githubCalls = gh.stats().requests;
    // Generous: a cold boot's p95 twice over, in real time.
    if (!(await waitFor(() => measured.every((id) => jobStarted(gh.getJob(id))), (600_000 / opts.speed) * 2))) say("not every job started in time");
    const pickups = measured.flatMap((id) => pickupSeconds(gh.getJob(id)) ?? []);
    const ids = new Set(measured);
    const calls = callsPerJob(githubCalls, measured.length);
    const result: ScaleSetRateResult = {
      ratePerMinute: rate.ratePerMinute,
      jobs: measured.length,
      steadyMinutes: rate.steadyMinutes,
      apiPerJob: calls.total,
      byKind: calls.byKind,
      githubCalls,
      pickup: { ...quantiles(pickups), jobs: pickups.length },
      modelledColdBootS: modelledColdBootS(world),
      failedJobs: gh.listJobs().filter((j) => ids.has(Number(j.id)) && j.status === "completed" && j.conclusion !== "success").length,
      spareRunners: world.bed.aws.control.listTasks().filter((t) => parseSpareRunnerName(t.env[RUNNER_NAME_ENV] ?? "") !== null).length,
    };
    say(`${result.apiPerJob} GitHub calls per job over ${result.jobs} jobs; pickup p50 ${result.pickup.p50S} s / p95 ${result.pickup.p95S} s (boot p50 ${result.modelledColdBootS} s)`);
    return { rate: result, ...(idle ? { idle } : {}) };
  } finally {
    await world.close();
  }
}

/**
 * The stage as `npm run bench` runs it: 60 jobs a minute (1 a second, the apiPerJob stage's simulated rate) as the
 * headline, then 2 a minute, where the idle polls and the statistics round are a large share of each job's calls.
 * --quick shortens the windows only.
 */
export function scaleSetOptions(quick: boolean, progress: (s: string) => void): ScaleSetBenchOptions {
  return {
    speed: 10,
    idleMinutes: quick ? 2 : 5,
    rates: [
      { ratePerMinute: 60, warmupMinutes: quick ? 2.5 : 3, steadyMinutes: quick ? 3 : 10 },
      { ratePerMinute: 2, warmupMinutes: quick ? 2 : 3, steadyMinutes: quick ? 6 : 20 },
    ],
    progress,
  };
}
