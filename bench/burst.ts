/**
 * Bursts: N jobs queued at one instant (a 256-job matrix: one run, one label set; a 1,000-job burst: four runs of
 * 250, the seed's five label sets in turn) against the test bed enforcing GitHub's secondary limit (900 points a
 * minute per endpoint, POST = 5 ⇒ 180 JIT configs a minute) and the ECS / Fargate quotas (RunTask 20/s; Fargate
 * launches a bucket of 100 refilled at 20/s, On-Demand and Spot apart). The clock is compressed, and the quotas with
 * it, but only so far that tornade's real work per launch stays well below the gaps the quotas impose: then the
 * quotas bind, not this machine. Measured: time from queueing to the last job's accepted RunTask / StartBuild, the
 * floor the same limits impose on that (floor.ts), every throttling answer, and whether any job failed.
 */
import { floorSeconds, type FloorInput } from "./floor.js";
import { round, waitFor } from "./stats.js";
import { SEED_LABEL_SETS } from "./steady.js";
import { startWorld } from "./world.js";
import type { GitHubLimits } from "../testbed/github/index.js";

export interface BurstResult {
  jobs: number;
  speed: number;
  seconds: number;
  floorSeconds: number;
  ratio: number;
  /** Which limit sets the floor. */
  floorBoundBy: string;
  launched: number;
  throttled: { github: number; aws: number };
  failedJobs: number;
  /** Seconds (simulated) from queueing to each accepted launch, sorted: the dispatch curve. */
  dispatch: number[];
  /** Seconds (simulated) each job waited from queued to started on its runner, sorted. */
  queueSeconds: number[];
}

export interface BurstSpec {
  name: string;
  jobs: number;
  /** One label set for all (a matrix) or the seed's five in turn. */
  matrix: boolean;
  speed: number;
  githubLimits?: Partial<GitHubLimits>;
}

const JOB_SECONDS = 10;

export async function benchBurst(spec: BurstSpec, progress: (s: string) => void): Promise<BurstResult> {
  const world = await startWorld({ speed: spec.speed, webhooks: true, ...(spec.githubLimits ? { githubLimits: spec.githubLimits } : {}) });
  try {
    const gh = world.bed.github.control;
    await waitFor(() => gh.listDeliveries().some((d) => d.event === "ping"), 10_000);
    gh.resetStats();
    world.bed.aws.control.resetStats();
    world.bed.aws.control.resetQuotas();
    const labelSets = spec.matrix ? [SEED_LABEL_SETS[2]!] : SEED_LABEL_SETS;
    const perRun = spec.matrix ? spec.jobs : 250;
    const t0 = world.clock.now();
    const ids: number[] = [];
    for (let made = 0; made < spec.jobs; made += perRun) {
      const n = Math.min(perRun, spec.jobs - made);
      const run = gh.createRun({
        workflowName: spec.name,
        jobs: Array.from({ length: n }, (_, i) => ({
          name: `${spec.name}-${made + i}`,
          labels: ["self-hosted", "tornade", `${spec.name}-run-${made}`, ...labelSets[(made + i) % labelSets.length]!],
          durationSeconds: JOB_SECONDS,
        })),
      });
      ids.push(...run.jobs.map((j) => Number(j.id)));
    }
    const floor = floorSeconds(floorInput(spec, labelSets));
    // Real-time budget: the floor at this speed, three times over, plus slack for a loaded machine.
    const budgetMs = ((floor.seconds * 3 + 120) * 1000) / spec.speed + 30_000;
    const idSet = new Set(ids);
    // Every job has a runner once AWS accepted as many launches as there are jobs (world.ts `accepted`: a job served
    // by a sibling's runner has none of its own).
    const acceptedSince = () => world.accepted.filter((t) => t >= t0);
    if (!(await waitFor(() => acceptedSince().length >= ids.length, budgetMs))) progress(`  ${spec.name}: not every job launched in time`);
    const launchedAt = acceptedSince().slice(0, ids.length);
    const seconds = launchedAt.length ? (Math.max(...launchedAt) - t0) / 1000 : NaN;
    const allDone = () => gh.listJobs({ status: "completed" }).filter((j) => idSet.has(Number(j.id))).length === ids.length;
    if (!(await waitFor(allDone, budgetMs))) progress(`  ${spec.name}: not every job completed in time`);
    const jobs = gh.listJobs().filter((j) => idSet.has(Number(j.id)));
    const ghStats = gh.stats();
    const awsErrors = world.bed.aws.control.stats().errors;
    const throttledAws = Object.entries(awsErrors).filter(([k]) => /Throttl/.test(k)).reduce((a, [, n]) => a + n, 0);
    const result: BurstResult = {
      jobs: ids.length,
      speed: spec.speed,
      seconds: round(seconds, 1),
      floorSeconds: round(floor.seconds, 1),
      ratio: round(seconds / floor.seconds, 2),
      floorBoundBy: floor.boundBy,
      launched: launchedAt.length,
      throttled: { github: ghStats.secondaryLimited + ghStats.primaryLimited, aws: throttledAws },
      failedJobs: jobs.filter((j) => j.conclusion !== "success").length,
      dispatch: launchedAt.map((t) => round((t - t0) / 1000, 2)).sort((a, b) => a - b),
      queueSeconds: jobs
        .filter((j) => j.started_at)
        .map((j) => round((Date.parse(j.started_at) - Date.parse(j.created_at)) / 1000, 1))
        .sort((a, b) => a - b),
    };
    progress(
      `  ${spec.name}: ${result.launched}/${result.jobs} launched in ${result.seconds} s (floor ${result.floorSeconds} s, ${result.floorBoundBy}), throttled ${result.throttled.github} GitHub / ${result.throttled.aws} AWS, ${result.failedJobs} failed`,
    );
    return result;
  } finally {
    await world.close();
  }
}

function floorInput(spec: BurstSpec, labelSets: readonly string[][]): FloorInput {
  const counts = { FARGATE: 0, FARGATE_SPOT: 0, CODEBUILD: 0 };
  for (let i = 0; i < spec.jobs; i++) {
    const backend = labelSets[i % labelSets.length]![0]!.split("=")[1] as keyof typeof counts;
    counts[backend]++;
  }
  return { ...counts, github: { pointsPerMinute: 900, writeCost: 5, ...spec.githubLimits } };
}
