/**
 * The steady run: N jobs queued on the GitHub sim at 100 a second (real), each its own workflow run with the seed's
 * five launch label sets in turn, delivered by the sim's webhooks to `tornade serve`, run by simulated runners to the
 * end, then a minute of simulated quiet. The clock runs at 100×, so 100 jobs/s real is 1 job/s simulated: under every
 * GitHub and AWS quota, so no launch waits on pacing and what is left is tornade's own work. From it:
 * - overhead: webhook received (stamped by the relay in world.ts) → RunTask / StartBuild received by AWS, minus the
 *   GitHub JIT-config round trip tornade must wait for (measured by calling the same sim the same way afterwards);
 * - apiPerJob: every REST request the GitHub sim and every call the AWS sim counted during the run (token refresh,
 *   tracker, sweeper, reaper included), per launched job. AWS calls are split by who makes them: tornade's own
 *   (`aws`: RunTask / StartBuild, PutParameter, describes, stops, DeleteParameters of unread parameters) and the
 *   runners' JIT handoff (`runnerAws`: GetParameter + DeleteParameter on Fargate, CodeBuild's GetParameters + the
 *   runner's DeleteParameter); `ssm` is every Parameter Store call, whoever made it (its 40/s are the account's);
 * - footprint: CPU time of the tornade process per 1,000 jobs and its peak RSS (/proc).
 */
import { appJwtSigner } from "../src/github/app-jwt.js";
import { JobPath, type PathReport } from "./job-path.js";
import { percentile, round, sleep, waitFor } from "./stats.js";
import { childUsage, monotonicUs, realNow, startWorld, type World } from "./world.js";

export const SEED_LABEL_SETS: readonly string[][] = [
  ["runs-on=FARGATE", "arch=X86_64"],
  ["runs-on=FARGATE", "arch=ARM64"],
  ["runs-on=FARGATE_SPOT"],
  ["runs-on=CODEBUILD", "arch=X86_64"],
  ["runs-on=CODEBUILD", "arch=ARM64"],
];

/** What runners call (or CodeBuild for them) to take their JIT config: tornade itself never makes these calls. */
export const RUNNER_HANDOFF_CALLS: readonly string[] = ["ssm.GetParameter", "ssm.GetParameters", "ssm.DeleteParameter"];

export interface SteadyResult {
  jobs: number;
  launched: number;
  overhead: { p50Ms: number; p99Ms: number; rawP50Ms: number; rawP99Ms: number; jitRoundTripMs: number; path: PathReport };
  apiPerJob: { github: number; aws: number; runnerAws: number; ssm: number; githubCalls: Record<string, number>; awsCalls: Record<string, number> };
  footprint: { rssMb: number; cpuMsPer1000Jobs: number };
  failedJobs: number;
  simulatedSeconds: number;
}

const DEFAULT_RATE_PER_SECOND = 100;
const WARMUP_JOBS = 10;

export interface SteadyOptions {
  jobs: number;
  speed: number;
  /** Jobs queued per real second; default 100. */
  ratePerSecond?: number;
  progress: (s: string) => void;
  /** Extra node flags for the tornade child (bench/profile.ts passes --cpu-prof). */
  nodeArgs?: string[];
  /** Told the measured span (after warm-up, to the end of the quiet minute) on the monotonic clock, in µs. */
  onMeasured?: (window: { fromUs: number; toUs: number }) => void;
  /** Told the tornade child's pid once it answers (bench/stalls.ts). */
  onChild?: (pid: number) => void;
  /** Another build's bin/tornade.js to run (bench/stalls.ts --bin). */
  bin?: string;
  /** Where the SQLite store lives (bench/stalls.ts --store: on tmpfs, a sync costs next to nothing); default a fresh temporary directory. */
  storePath?: string;
}

export async function benchSteady(opts: SteadyOptions): Promise<SteadyResult> {
  const SPEED = opts.speed;
  const RATE_PER_SECOND = opts.ratePerSecond ?? DEFAULT_RATE_PER_SECOND;
  const path = new JobPath(realNow);
  const world = await startWorld({
    speed: SPEED,
    webhooks: true,
    onAwsRequest: (operation, body) => path.aws(operation, body),
    onGithubResponse: (route, status, body) => path.github(route, status, body),
    ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}),
    ...(opts.bin ? { bin: opts.bin } : {}),
    ...(opts.storePath ? { storePath: opts.storePath } : {}),
  });
  try {
    opts.onChild?.(world.proc.child.pid ?? 0);
    const gh = world.bed.github.control;
    // Warm-up: the first jobs pay for the installation token and the JIT of both processes; not measured.
    const warm = queue(world, 0, WARMUP_JOBS);
    await waitFor(() => warm.every((id) => world.launches.get(id)?.launchedAt !== undefined), 30_000);
    await sleep(200);
    gh.resetStats();
    world.bed.aws.control.resetStats();
    const before = await childUsage(world.proc.child.pid!);
    const fromUs = monotonicUs();
    const t0 = world.clock.now();
    path.watchHarness();

    const ids: number[] = [];
    const start = realNow();
    for (let i = 0; i < opts.jobs; i++) {
      const due = start + (i * 1000) / RATE_PER_SECOND;
      const wait = due - realNow();
      if (wait > 1) await sleep(wait);
      ids.push(...queue(world, WARMUP_JOBS + i, 1));
    }
    opts.progress(`  steady: ${opts.jobs} jobs queued at ${RATE_PER_SECOND}/s real (${SPEED}x clock)`);
    let peakRssMb = 0;
    const idSet = new Set(ids);
    const allDone = () => gh.listJobs({ status: "completed" }).filter((j) => idSet.has(Number(j.id))).length === ids.length;
    const settled = await waitFor(async () => {
      peakRssMb = Math.max(peakRssMb, (await childUsage(world.proc.child.pid!)).rssMb);
      return allDone();
    }, 120_000);
    if (!settled) opts.progress("  steady: not every job completed within 120 s real");
    // A simulated minute of quiet: the tracker, sweeper and reaper rounds after the last job count too.
    await world.clock.sleep(60_000);
    const after = await childUsage(world.proc.child.pid!);
    opts.onMeasured?.({ fromUs, toUs: monotonicUs() });
    const simulatedSeconds = round((world.clock.now() - t0) / 1000, 0);
    const ghStats = gh.stats();
    const awsStats = world.bed.aws.control.stats();

    const launched = ids.filter((id) => world.launches.get(id)?.launchedAt !== undefined).length;
    const raw = ids.flatMap((id) => {
      const r = world.received.get(id);
      const l = world.launches.get(id)?.requestedAt;
      return r !== undefined && l !== undefined ? [l - r] : [];
    });
    for (const id of ids) {
      const r = world.received.get(id);
      const a = world.answered.get(id);
      const l = world.launches.get(id)?.requestedAt;
      if (r !== undefined) path.received(id, r);
      if (a !== undefined) path.answered(id, a);
      if (l !== undefined) path.launched(id, l);
    }
    const pathReport = path.report(ids);
    const jit = await jitRoundTripMs(world, 30);
    const overhead = raw.map((ms) => Math.max(0, ms - jit));
    const githubTotal = Object.values(ghStats.requests).reduce((a, b) => a + b, 0);
    const sum = (keep: (call: string) => boolean) => Object.entries(awsStats.calls).filter(([k]) => keep(k)).reduce((a, [, n]) => a + n, 0);
    const runnerAws = sum((k) => RUNNER_HANDOFF_CALLS.includes(k));
    const awsTotal = sum(() => true) - runnerAws;
    const perJob = (n: number) => round(n / Math.max(1, launched), 3);
    const failedJobs = gh.listJobs().filter((j) => idSet.has(Number(j.id)) && j.conclusion !== "success").length;
    return {
      jobs: ids.length,
      launched,
      overhead: {
        p50Ms: round(percentile(overhead, 50)),
        p99Ms: round(percentile(overhead, 99)),
        rawP50Ms: round(percentile(raw, 50)),
        rawP99Ms: round(percentile(raw, 99)),
        jitRoundTripMs: round(jit),
        path: pathReport,
      },
      apiPerJob: {
        github: perJob(githubTotal),
        aws: perJob(awsTotal),
        runnerAws: perJob(runnerAws),
        ssm: perJob(sum((k) => k.startsWith("ssm."))),
        githubCalls: ghStats.requests,
        awsCalls: awsStats.calls,
      },
      footprint: { rssMb: round(Math.max(peakRssMb, after.rssMb), 1), cpuMsPer1000Jobs: round(((after.cpuMs - before.cpuMs) / ids.length) * 1000, 0) },
      failedJobs,
      simulatedSeconds,
    };
  } finally {
    await world.close();
  }
}

/** Queues `n` one-job workflow runs; answers their job ids. */
function queue(world: World, from: number, n: number): number[] {
  const out: number[] = [];
  for (let i = from; i < from + n; i++) {
    const labels = ["self-hosted", "tornade", `bench-${i}`, ...SEED_LABEL_SETS[i % SEED_LABEL_SETS.length]!];
    const run = world.bed.github.control.createRun({ workflowName: "steady", jobs: [{ name: `job-${i}`, labels, durationSeconds: 30 }] });
    for (const j of run.jobs) out.push(Number(j.id));
  }
  return out;
}

/**
 * The real-time round trip of one generate-jitconfig call against the same sim, median of `n`: what tornade waits on
 * GitHub for between receiving a webhook and calling AWS (the sim adds no latency of its own).
 */
async function jitRoundTripMs(world: World, n: number): Promise<number> {
  const gh = world.bed.github;
  const { jwt } = await appJwtSigner(gh.appId, gh.privateKeyPem)(Math.floor(world.clock.now() / 1000));
  const headers = { accept: "application/vnd.github+json", "content-type": "application/json" };
  const tokenRes = await fetch(`${gh.url}/app/installations/${gh.installationId}/access_tokens`, { method: "POST", headers: { ...headers, authorization: `Bearer ${jwt}` } });
  const { token } = (await tokenRes.json()) as { token: string };
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const body = JSON.stringify({ name: `probe-${i}-${Date.now()}`, runner_group_id: 1, labels: ["self-hosted", "tornade", "probe"] });
    const t = realNow();
    const res = await fetch(`${gh.url}/repos/${gh.owner}/${gh.repo}/actions/runners/generate-jitconfig`, { method: "POST", headers: { ...headers, authorization: `token ${token}` }, body });
    await res.text();
    if (res.status === 201) times.push(realNow() - t);
  }
  return percentile(times, 50);
}
