/**
 * What a chaos run does, decided before it starts from one seed: the workflow runs and their jobs (the seed's label
 * sets plus `type=static` jobs), when each run is queued, which Spot jobs are interrupted and when, when the Spot
 * capacity shortages come, and when the controller is killed. The same seed gives the same plan, so a failing run can
 * be replayed; the fault-free baseline runs the very same jobs.
 */
import { RUN_ID_PLACEHOLDER } from "../../src/sandbox/scenario.js";
// The fuzz test's seeded mulberry32: one PRNG for every seeded test input in the project.
import { prng } from "../../test/fuzz/generate.js";

export { prng };

/** FNV-1a over the key, mixed with the seed: one draw in [0, 1) per (seed, key), whatever order events arrive in. */
export function keyedUnit(seed: number, key: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return prng(h)();
}

/** The seed's five label sets (SEED.md "Labels, as a workflow uses them") and a static job, with their share. */
export const JOB_KINDS = [
  { kind: "fargate_x86", extra: ["runs-on=FARGATE", "arch=X86_64"], weight: 20, spot: false, static: false },
  { kind: "fargate_arm64", extra: ["runs-on=FARGATE", "arch=ARM64"], weight: 10, spot: false, static: false },
  // The article's advice: short jobs on Spot; so Spot is the largest share.
  { kind: "fargate_spot", extra: ["runs-on=FARGATE_SPOT"], weight: 40, spot: true, static: false },
  { kind: "codebuild_x86", extra: ["runs-on=CODEBUILD", "arch=X86_64"], weight: 15, spot: false, static: false },
  { kind: "codebuild_arm64", extra: ["runs-on=CODEBUILD", "arch=ARM64"], weight: 10, spot: false, static: false },
  { kind: "static", extra: ["type=static"], weight: 5, spot: false, static: true },
] as const;

/**
 * With `--intake scale-set` (scale-set.ts): each job's `runs-on` names one of the two scale sets tornade is configured
 * with, which decides its runner; Spot the larger share, as above. No static jobs: the pool is no intake's.
 */
export const SCALE_SET_KINDS = [
  { kind: "ss_fargate", extra: ["chaos-fargate"], weight: 40, spot: false, static: false },
  { kind: "ss_spot", extra: ["chaos-spot"], weight: 60, spot: true, static: false },
] as const;

export type Intake = "webhooks" | "scale-set";
export type JobKind = (typeof JOB_KINDS)[number]["kind"] | (typeof SCALE_SET_KINDS)[number]["kind"];

/** One entry of JOB_KINDS or SCALE_SET_KINDS. */
interface KindSpec {
  kind: JobKind;
  extra: readonly string[];
  weight: number;
  spot: boolean;
  static: boolean;
}

export interface PlannedJob {
  /** Unique in the whole chaos run, e.g. "fargate_spot-0042": fault decisions and reports key on it. */
  name: string;
  kind: JobKind;
  labels: string[];
  durationSeconds: number;
  spot: boolean;
  static: boolean;
  /** For interrupted Spot jobs: the fraction of the job's duration after which its task gets the Spot notice. */
  interruptAtFraction: number | null;
}

export interface PlannedRun {
  /** Simulated seconds after the start of the run at which this workflow run is queued. */
  atSeconds: number;
  jobs: PlannedJob[];
}

/** Fault rates, as issue 4 point 12 gives them. */
export interface FaultRates {
  /** Share of workflow_job deliveries dropped; of those, `untracedShare` vanish without a failed delivery record. */
  dropWebhooks: number;
  untracedShare: number;
  duplicateWebhooks: number;
  /** Share of Spot jobs whose RunTask answers AWS's capacity failure (in short bursts, as shortages come). */
  spotCapacityFailures: number;
  /** Share of Spot jobs whose task is interrupted while the job runs. */
  spotInterruptions: number;
  /** Share of tornade's GitHub REST requests answered 5xx. */
  github5xx: number;
  /** SIGKILL + restart of tornade serve. */
  restarts: number;
  /** Simulated seconds between reorder bursts (2–5 deliveries held and sent in reverse). */
  reorderEverySeconds: number;
}

export const DEFAULT_RATES: FaultRates = {
  dropWebhooks: 0.1,
  untracedShare: 0.2,
  duplicateWebhooks: 0.05,
  spotCapacityFailures: 0.05,
  spotInterruptions: 0.03,
  github5xx: 0.01,
  restarts: 3,
  reorderEverySeconds: 20,
};

export interface ChaosPlan {
  seed: number;
  runs: PlannedRun[];
  /** Simulated seconds over which the runs are queued. */
  arrivalSeconds: number;
  /** Capacity shortage bursts: when (simulated seconds) and how many Spot RunTask calls fail. */
  capacityBursts: { atSeconds: number; times: number }[];
  /** When tornade is SIGKILLed (sim s after the start) and how long it is kept down before the restart (sim s). */
  kills: { atSeconds: number; downSeconds: number }[];
}

export interface PlanOptions {
  jobs: number;
  seed: number;
  rates?: FaultRates;
  /** Simulated seconds over which runs arrive; default half a second per job, at least a minute (about 120 jobs a
   *  minute: under GitHub's ~180 JIT configs a minute, so the secondary limit paces but does not dominate). */
  arrivalSeconds?: number;
  /** Where jobs come from: webhooks (labels pick the runner), or scale sets (runs-on names one); default webhooks. */
  intake?: Intake;
}

export function allJobs(plan: ChaosPlan): PlannedJob[] {
  return plan.runs.flatMap((r) => r.jobs);
}

/** Picks `count` distinct items, seeded. */
function pick<T>(items: readonly T[], count: number, rnd: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy.slice(0, count);
}

/** A rate applied to `exposed` items: rounded, but at least one when any is exposed and the rate is not 0, so even a
 *  small run exercises every fault. */
export function faultCount(rate: number, exposed: number): number {
  if (rate <= 0 || exposed === 0) return 0;
  return Math.min(exposed, Math.max(1, Math.round(rate * exposed)));
}

export function makePlan(opts: PlanOptions): ChaosPlan {
  if (!Number.isInteger(opts.jobs) || opts.jobs < 1) throw new RangeError(`jobs must be a positive integer, got ${opts.jobs}`);
  const rates = opts.rates ?? DEFAULT_RATES;
  const rnd = prng(opts.seed);
  const arrivalSeconds = opts.arrivalSeconds ?? Math.max(60, Math.round(opts.jobs * 0.5));
  const scaleSets = opts.intake === "scale-set";
  const kinds: readonly KindSpec[] = scaleSets ? SCALE_SET_KINDS : JOB_KINDS;
  const totalWeight = kinds.reduce((s, k) => s + k.weight, 0);
  const drawKind = () => {
    let x = rnd() * totalWeight;
    for (const k of kinds) if ((x -= k.weight) < 0) return k;
    return kinds[0] as KindSpec;
  };
  const width = String(opts.jobs).length;
  const jobs: PlannedJob[] = Array.from({ length: opts.jobs }, (_, i) => {
    const k = drawKind();
    return {
      name: `${k.kind}-${String(i).padStart(width, "0")}`,
      kind: k.kind,
      // The run id label comes from `${{ github.run_id }}`, which the GitHub sim evaluates as GitHub does.
      // A scale set's job names the scale set alone (`runs-on: chaos-spot`): the service, not a label, routes it.
      labels: scaleSets ? [...k.extra] : ["self-hosted", "tornade", ...(k.static ? [] : [RUN_ID_PLACEHOLDER]), ...k.extra],
      // Static jobs are the short, can't-wait ones; runner jobs 1–5 minutes, the article's "ordinary short job".
      durationSeconds: k.static ? 30 + Math.floor(rnd() * 60) : 60 + Math.floor(rnd() * 240),
      spot: k.spot,
      static: k.static,
      interruptAtFraction: null,
    };
  });
  const spotJobs = jobs.filter((j) => j.spot);
  for (const j of pick(spotJobs, faultCount(rates.spotInterruptions, spotJobs.length), rnd)) {
    j.interruptAtFraction = 0.2 + rnd() * 0.6;
  }

  // Runs of 1–6 jobs, as workflows come. Static jobs get runs of their own: until a static pool serves them they stay
  // queued, and GitHub refuses re-runs while any job of the run is unfinished.
  const runs: PlannedRun[] = [];
  const group = (list: PlannedJob[]) => {
    for (let i = 0; i < list.length; ) {
      const size = 1 + Math.floor(rnd() * 6);
      runs.push({ atSeconds: Math.floor(rnd() * arrivalSeconds), jobs: list.slice(i, i + size) });
      i += size;
    }
  };
  group(jobs.filter((j) => !j.static));
  group(jobs.filter((j) => j.static));
  runs.sort((a, b) => a.atSeconds - b.atSeconds);
  const first = runs[0];
  if (first) first.atSeconds = 0;

  const capacityBursts: ChaosPlan["capacityBursts"] = [];
  for (let left = faultCount(rates.spotCapacityFailures, spotJobs.length); left > 0; ) {
    const times = Math.min(left, 1 + Math.floor(rnd() * 3));
    capacityBursts.push({ atSeconds: Math.floor(rnd() * arrivalSeconds), times });
    left -= times;
  }
  capacityBursts.sort((a, b) => a.atSeconds - b.atSeconds);

  // Between 10 % and 85 % of the planned span (arrivals plus the longest job), so every kill lands mid-burst, at the
  // same simulated moment on any machine.
  const span = arrivalSeconds + Math.max(0, ...jobs.map((j) => j.durationSeconds));
  const kills = Array.from({ length: rates.restarts }, () => ({
    atSeconds: Math.round((0.1 + rnd() * 0.75) * span),
    downSeconds: 5 + Math.floor(rnd() * 55),
  }));
  kills.sort((a, b) => a.atSeconds - b.atSeconds);
  return { seed: opts.seed, runs, arrivalSeconds, capacityBursts, kills };
}
