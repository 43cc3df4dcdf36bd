/**
 * Pickup: how long a job waits between "queued" and "running" as GitHub reports it (`started_at − created_at`), cold
 * and warm side by side in one run (issue 14, point 5; docs/performance.md "Pickup").
 *
 * One world on the test bed's `published` boot clock (docs/testbed.md "Boot times": a 1 GiB image on Fargate boots in
 * ~95 s at the median), `tornade serve` with standbys for one shape only. Jobs of two shapes that boot alike arrive
 * together: FARGATE/X86_64 has standbys (its jobs are the `warm` figures), FARGATE/ARM64 has none (`cold`). Each job
 * carries a label of its own, so only its own runner can take it. The arrival pattern, on the simulated clock:
 * - a warm-up (not measured): the same steady rate, so adaptive sizing has seen arrivals and the first standbys booted;
 * - the steady part: Poisson arrivals at `ratePerMinute` (seeded), one in `coldEvery` of the cold shape;
 * - a burst: `burstJobs` queued at one instant, the same mix, after which the run waits for every job to start.
 * Measured, per job: its pickup (seconds of simulated time, from GitHub's own timestamps) and whether a standby served
 * it (no RunTask of its own: a warm job's runner is the standby's task). Per standby task, its idle time: from RUNNING
 * until tornade wrote a job's JIT config to its parameter (the PutParameter, seen by the AWS sim), or until it stopped
 * (or the end of the steady part); a standby that never took a job is idle from its launch. Idle time inside the
 * steady part over the warm shape's jobs there is `idleRunnerMinutesPerJob`.
 */
import { prng } from "../testbed/prng.js";
import { poissonArrivals } from "./arrivals.js";
import { jitRunnerName } from "./chaos/runner-name.js";
import { percentile, round, waitFor } from "./stats.js";
import { realNow, startWorld, type World } from "./world.js";

export interface PickupOptions {
  /** Clock speed: tornade's own real milliseconds per handoff become simulated ones, so keep it low (≤ 20). */
  speed: number;
  warmupMinutes: number;
  steadyMinutes: number;
  /** Jobs per simulated minute in the warm-up and steady parts, both shapes together. */
  ratePerMinute: number;
  /** One job in this many is of the cold shape. */
  coldEvery: number;
  burstJobs: number;
  /** TORNADE_STANDBY for the warm shape, e.g. "FARGATE/X86_64=adaptive". */
  standby: string;
  /** Extra environment for tornade (the standby's settings). */
  env?: Record<string, string>;
  seed?: number;
  progress: (s: string) => void;
}

export interface Quantiles {
  p50S: number;
  p95S: number;
}

export interface PickupResult {
  /** The steady part: jobs of the shape with no standbys. */
  cold: Quantiles & { jobs: number };
  /** The steady part: jobs of the shape with standbys, served warm or not. */
  warm: Quantiles & { jobs: number };
  /** The steady part: jobs of the standby shape a standby served, over all of that shape. */
  hitRate: number;
  /** The steady part: standby runner-minutes spent waiting (or booting for nothing), per job of the standby shape. */
  idleRunnerMinutesPerJob: number;
  /** The burst: the same figures for its jobs. */
  burst: { jobs: number; cold: Quantiles; warm: Quantiles; hitRate: number };
  /** The median cold boot the model draws (provisioning + pull + runner start), for comparison with `cold.p50S`. */
  modelledColdBootS: number;
  /** The steady part: queued → the webhook at tornade, simulated seconds (the sim's delivery and this machine's load). */
  webhookDelivery: Quantiles;
  /** The steady part's pickups counted from the webhook at tornade instead of from created_at. */
  fromWebhook: { cold: Quantiles; warm: Quantiles };
  /**
   * The steady part's warm pickups split at the handoff (tornade's PutParameter of the job's JIT config): `tornade`
   * from the webhook at tornade to the handoff, `standby` from the handoff to the job started (the standby's next
   * poll, its warmed-up runner's start, GitHub assigning the job). Says which side a slow tail is on.
   */
  warmSplit: { tornade: Quantiles; standby: Quantiles };
  /** The steady part's Parameter Store calls a simulated second (standbys' polls included; the account has 40) and throttled AWS answers. */
  ssm: { perSecond: number; throttled: number };
  speed: number;
  standby: string;
  ratePerMinute: number;
  steadyMinutes: number;
  failedJobs: number;
}

const WARM_LABELS = ["runs-on=FARGATE", "arch=X86_64"];
const COLD_LABELS = ["runs-on=FARGATE", "arch=ARM64"];
const JOB_SECONDS = 20;
const STANDBY_NAME = /tornade-standby-(\d+)\./;

interface Queued {
  id: number;
  /** Real ms when it was queued on the GitHub sim. */
  queuedAt: number;
  warmShape: boolean;
  part: "warmup" | "steady" | "burst";
}

export async function benchPickup(opts: PickupOptions): Promise<PickupResult> {
  // When each standby (by name) was handed a job's JIT config: tornade's PutParameter to its parameter.
  const handedAt = new Map<string, number>();
  // When each job's runner (by the name in its JIT config) was handed to a standby.
  const runnerHandedAt = new Map<string, number>();
  const world = await startWorld({
    speed: opts.speed,
    webhooks: true,
    boot: { profile: "published", seed: opts.seed ?? 5 },
    onAwsRequest: (operation, body, at) => {
      if (operation !== "PutParameter") return;
      const name = (body as { Name?: unknown } | null)?.Name;
      const m = typeof name === "string" ? STANDBY_NAME.exec(name) : null;
      if (!m) return;
      handedAt.set(`tornade-standby-${m[1]}`, at);
      const value = (body as { Value?: unknown }).Value;
      const runner = typeof value === "string" ? jitRunnerName(value) : undefined;
      if (runner) runnerHandedAt.set(runner, at);
    },
    env: { TORNADE_STANDBY: opts.standby, TORNADE_MAX_RUNNERS: "400", ...opts.env },
  });
  try {
    const gh = world.bed.github.control;
    await waitFor(() => gh.listDeliveries().some((d) => d.event === "ping"), 10_000);
    const next = prng(opts.seed ?? 5);
    const jobs: Queued[] = [];
    let n = 0;
    const queue = (part: Queued["part"]) => {
      const warmShape = n % opts.coldEvery !== 0;
      const labels = ["self-hosted", "tornade", `pickup-${n}`, ...(warmShape ? WARM_LABELS : COLD_LABELS)];
      const run = gh.createRun({ workflowName: "pickup", jobs: [{ name: `pickup-${n}`, labels, durationSeconds: JOB_SECONDS }] });
      n++;
      for (const j of run.jobs) jobs.push({ id: Number(j.id), queuedAt: realNow(), warmShape, part });
    };
    const arrive = (part: Queued["part"], minutes: number) => poissonArrivals(world.clock, next, opts.ratePerMinute, minutes, () => queue(part));

    opts.progress(`  pickup: warm-up, ${opts.warmupMinutes} simulated minutes at ${opts.ratePerMinute} jobs/min (${opts.speed}x clock)`);
    await arrive("warmup", opts.warmupMinutes);
    const steadyFrom = world.clock.now();
    world.bed.aws.control.resetStats();
    opts.progress(`  pickup: steady part, ${opts.steadyMinutes} simulated minutes`);
    await arrive("steady", opts.steadyMinutes);
    const steadyTo = world.clock.now();
    const aws = world.bed.aws.control.stats();
    opts.progress(`  pickup: burst of ${opts.burstJobs} jobs`);
    for (let i = 0; i < opts.burstJobs; i++) queue("burst");

    const hasStarted = (id: number) => jobStarted(gh.getJob(id));
    const started = () => jobs.every((j) => hasStarted(j.id));
    // Generous: a cold boot's p95 twice over, and the runner limit's queue, in real time.
    if (!(await waitFor(started, (600_000 / opts.speed) * 2))) opts.progress("  pickup: not every job started in time");

    const pickupS = (id: number) => pickupSeconds(gh.getJob(id));
    // The same, counted from the webhook's arrival at tornade (the relay's real-time stamp, put on the simulated
    // clock): what is left once the GitHub sim's delivery queue is taken out.
    const simAt = (real: number) => world.clock.now() - (realNow() - real) * opts.speed;
    const fromWebhookS = (id: number) => {
      const job = gh.getJob(id);
      const at = world.received.get(id);
      return job && at !== undefined && hasStarted(id) ? (Date.parse(job.started_at) - simAt(at)) / 1000 : undefined;
    };
    // A warm job's pickup either side of its handoff, in simulated seconds.
    const handoffOf = (id: number) => {
      const job = gh.getJob(id);
      const handed = job?.runner_name ? runnerHandedAt.get(job.runner_name) : undefined;
      const at = world.received.get(id);
      return job && handed !== undefined && at !== undefined && hasStarted(id) ? { job, handed, received: simAt(at) } : undefined;
    };
    const tornadeS = (id: number) => {
      const h = handoffOf(id);
      return h && (h.handed - h.received) / 1000;
    };
    const standbyS = (id: number) => {
      const h = handoffOf(id);
      return h && (Date.parse(h.job.started_at) - h.handed) / 1000;
    };
    const warmServed = (id: number) => world.launches.get(id)?.requestedAt === undefined;
    const summary = (part: Queued["part"]) => {
      const mine = jobs.filter((j) => j.part === part);
      const times = (warmShape: boolean, of = pickupS) => mine.filter((j) => j.warmShape === warmShape).flatMap((j) => of(j.id) ?? []);
      const warmJobs = mine.filter((j) => j.warmShape);
      return {
        cold: quantiles(times(false)),
        warm: quantiles(times(true)),
        fromWebhook: { cold: quantiles(times(false, fromWebhookS)), warm: quantiles(times(true, fromWebhookS)) },
        warmSplit: { tornade: quantiles(times(true, tornadeS)), standby: quantiles(times(true, standbyS)) },
        coldJobs: mine.length - warmJobs.length,
        warmJobs: warmJobs.length,
        hitRate: round(warmJobs.filter((j) => warmServed(j.id)).length / Math.max(1, warmJobs.length), 3),
      };
    };
    const steady = summary("steady");
    // Simulated seconds from queueing to the webhook reaching tornade (the relay's stamp): the GitHub sim's and this
    // machine's share of every pickup, not tornade's.
    const deliveryS = jobs.filter((j) => j.part === "steady").flatMap((j) => {
      const at = world.received.get(j.id);
      return at === undefined ? [] : [((at - j.queuedAt) * opts.speed) / 1000];
    });
    const burst = summary("burst");
    const idleMs = standbyIdleMs(world, handedAt, steadyFrom, steadyTo);
    const ids = new Set(jobs.map((j) => j.id));
    const failedJobs = gh.listJobs().filter((j) => ids.has(Number(j.id)) && j.status === "completed" && j.conclusion !== "success").length;
    const result: PickupResult = {
      cold: { ...steady.cold, jobs: steady.coldJobs },
      warm: { ...steady.warm, jobs: steady.warmJobs },
      hitRate: steady.hitRate,
      idleRunnerMinutesPerJob: round(idleMs / 60_000 / Math.max(1, steady.warmJobs), 3),
      burst: { jobs: burst.coldJobs + burst.warmJobs, cold: burst.cold, warm: burst.warm, hitRate: burst.hitRate },
      modelledColdBootS: modelledColdBootS(world),
      webhookDelivery: quantiles(deliveryS),
      fromWebhook: steady.fromWebhook,
      warmSplit: steady.warmSplit,
      ssm: {
        perSecond: round((Object.entries(aws.calls).filter(([k]) => k.startsWith("ssm.")).reduce((a, [, n]) => a + n, 0) * 1000) / (steadyTo - steadyFrom), 1),
        throttled: Object.entries(aws.errors).filter(([k]) => /Throttl/.test(k)).reduce((a, [, n]) => a + n, 0),
      },
      speed: opts.speed,
      standby: opts.standby,
      ratePerMinute: opts.ratePerMinute,
      steadyMinutes: opts.steadyMinutes,
      failedJobs,
    };
    opts.progress(
      `  pickup: cold p50 ${result.cold.p50S} s / p95 ${result.cold.p95S} s; warm p50 ${result.warm.p50S} s / p95 ${result.warm.p95S} s; hit rate ${result.hitRate}; idle ${result.idleRunnerMinutesPerJob} runner-min/job`,
    );
    return result;
  } finally {
    await world.close();
  }
}

type SimJob = ReturnType<World["bed"]["github"]["control"]["getJob"]>;

/** GitHub reports started_at = created_at until a runner picks the job up: a job has started once it is no longer queued. */
export function jobStarted(job: SimJob): boolean {
  return job?.status === "in_progress" || job?.status === "completed";
}

/** A job's pickup as GitHub reports it, `started_at − created_at` in seconds; undefined until it started. */
export function pickupSeconds(job: SimJob): number | undefined {
  return job && jobStarted(job) ? (Date.parse(job.started_at) - Date.parse(job.created_at)) / 1000 : undefined;
}

export function quantiles(seconds: readonly number[]): Quantiles {
  return { p50S: round(percentile(seconds, 50), 1), p95S: round(percentile(seconds, 95), 1) };
}

/**
 * Standby time spent on no job inside [from, to), in clock ms: each standby task from RUNNING until it was handed a
 * config (or stopped); one never handed a config, from its launch (its boot bought nothing).
 */
function standbyIdleMs(world: World, handedAt: ReadonlyMap<string, number>, from: number, to: number): number {
  let idle = 0;
  for (const task of world.bed.aws.control.listTasks()) {
    const name = task.env["TORNADE_RUNNER_NAME"] ?? "";
    if (!name.startsWith("tornade-standby-")) continue;
    const handed = handedAt.get(name);
    const start = handed === undefined ? task.createdAt : task.startedAt;
    if (start === undefined) continue;
    const end = Math.min(handed ?? task.stoppedAt ?? to, to);
    idle += Math.max(0, end - Math.max(start, from));
  }
  return idle;
}

/** The median cold boot of the tasks launched for a job, as the model drew them. */
export function modelledColdBootS(world: World): number {
  const boots = world.bed.aws.control
    .listTasks()
    .filter((t) => t.env["TORNADE_JOB_ID"] !== undefined && t.boot)
    .map((t) => (t.boot!.queuedMs + t.boot!.provisioningMs + t.boot!.pullMs + t.boot!.runnerStartMs) / 1000);
  return round(percentile(boots, 50), 1);
}

/**
 * The stage as `npm run bench` runs it: a busy organisation's rate (20 jobs a minute, one in four of the cold shape:
 * 15 a minute of the standby shape) and a burst of 40; the standby shape sized adaptively (docs/standby.md "Adaptive
 * sizing") with room for 40. The clock at 10× (--quick only shortens the parts): every real millisecond tornade and the
 * simulators spend becomes ten simulated ones, so on a loaded machine expect the pickups to grow with the load.
 */
export function pickupOptions(quick: boolean, progress: (s: string) => void): PickupOptions {
  return {
    speed: 10,
    warmupMinutes: quick ? 6 : 10,
    steadyMinutes: quick ? 8 : 30,
    ratePerMinute: 20,
    coldEvery: 4,
    burstJobs: 40,
    standby: "FARGATE/X86_64=adaptive",
    env: { TORNADE_STANDBY_ADAPTIVE_MAX: "40", TORNADE_STANDBY_INTERVAL_SECONDS: "5" },
    progress,
  };
}
