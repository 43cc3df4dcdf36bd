/**
 * One chaos run, end to end: a fresh test bed on a shared compressed clock, `tornade serve` as a real child process
 * on a fresh SQLite store, the plan's workflow runs queued at their times, faults injected (or none, for the
 * baseline), the controller SIGKILLed and restarted at the planned moments, then a wait until every runner job has
 * settled (or nothing has moved for a while), a grace period for clean-up, and the measurement.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sharedClock } from "../../src/clock/clock.js";
import { startTestBed, type TestBed } from "../../testbed/index.js";
import type { RequestRecord, ResponseRecord } from "../../testbed/aws/index.js";
import type { SimResponseInfo } from "../../testbed/github/types.js";
import { freePorts, startTornade, type TornadeProcess } from "../../test/support/tornade-process.js";
import { FaultInjector, noFaults, type FaultCounts } from "./faults.js";
import { countedJobs, isServed, jitParametersLeft, measure, orphansOf, settledAt, type Measurement, type QueuedJob } from "./measure.js";
import { prng, type ChaosPlan, type FaultRates } from "./plan.js";
import { tornadeView } from "./tornade-view.js";
import { StandbyWatch, standbysOff, type StandbyFaultCounts, type StandbyFaultRates } from "./standby.js";
import { ScaleSetChaos, scaleSetEnv, type ScaleSetFaultCounts, type ScaleSetFaultRates } from "./scale-set.js";

export interface RunOptions {
  plan: ChaosPlan;
  /** Clock speed shared by the test bed and tornade: simulated ms per real ms. */
  speed: number;
  /** Null for the fault-free baseline. */
  faults: { rates: FaultRates } | null;
  /** A static pool for tornade (TORNADE_POOL, e.g. "FARGATE/X86_64=2"): then static jobs count like the others. */
  staticPool?: string;
  /**
   * Standby runners (standby.ts): tornade keeps these shapes (TORNADE_STANDBY), the handoff is watched, and with
   * `rates` (null for the baseline) attacked. After the drain tornade is restarted with every count at 0, so that
   * nothing of them may be left.
   */
  standby?: { shapes: string; rates: StandbyFaultRates | null };
  /**
   * Scale-set intake (scale-set.ts): tornade listens to these scale sets (TORNADE_SCALE_SETS) and takes no webhook; the
   * plan's jobs name them. With `rates` (null for the baseline) the message path and the sessions are attacked.
   */
  scaleSets?: { sets: string; rates: ScaleSetFaultRates | null };
  /** Extra environment for tornade serve (e.g. a reliability setting under test). */
  env?: Record<string, string>;
  /** Append tornade's output here. */
  logFile?: string;
  /** Simulated seconds without any job settling after which the run stops as not drained. */
  stallSeconds: number;
  /** Simulated seconds after the drain that tornade gets to stop what it started and deregister its runners. */
  graceSeconds: number;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

export interface RunResult extends Measurement {
  faults: FaultCounts;
  /** The standby faults injected, when run with standbys. */
  standbyFaults?: StandbyFaultCounts;
  /** The scale set faults injected, with scale-set intake. */
  scaleSetFaults?: ScaleSetFaultCounts;
  /** Real seconds the run took. */
  realSeconds: number;
  /** tornade's last output, for a failure message. */
  tornadeOutput: string;
}

/** Real milliseconds between looks at the simulators. */
const TICK_MS = 25;
/** Real milliseconds between counts of settled jobs. */
const SETTLE_CHECK_MS = 500;

export async function runOnce(opts: RunOptions): Promise<RunResult> {
  const realStart = Date.now();
  const origin = Date.now();
  const clock = sharedClock(opts.speed, origin);
  // The store on tmpfs where there is one: at 100x a 20 ms fsync is 2 simulated seconds per write, which would
  // measure this machine's disk, not tornade.
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "tornade-chaos-"));
  const say = opts.progress ?? (() => {});
  let bed: TestBed | undefined;
  let proc: TornadeProcess | undefined;
  try {
    // The job lease is relaxed from GitHub's 150 s: at high clock speeds a busy 2-core machine can stall a simulated
    // runner's renewal for longer than that, which would be the harness's fault, not a fault under test.
    // The standby watch sees the AWS simulator's calls as they happen (hooks), and may SIGKILL tornade from one.
    let watch: StandbyWatch | undefined;
    const aws = { onRequest: (r: RequestRecord) => watch?.onRequest(r), onResponse: (r: ResponseRecord) => watch?.onResponse(r) };
    // With scale sets the watch sees every answer of the scale set service (deliveries, redeliveries).
    let scaleSets: ScaleSetChaos | undefined;
    const github = { runnerLostAfterMs: 10 * 60_000, ...(opts.scaleSets ? { onScaleSetResponse: (r: SimResponseInfo) => scaleSets?.onResponse(r) } : {}) };
    bed = await startTestBed({ clock, runnerLog: () => {}, github, ...(opts.standby ? { aws } : {}) });
    const [port = 0, adminPort = 0] = await freePorts(2);
    const gh = bed.github;
    const poolEnv: Record<string, string> = opts.staticPool
      ? { TORNADE_POOL: opts.staticPool, TORNADE_POOL_OWNER: gh.owner, TORNADE_POOL_REPO: gh.repo, TORNADE_POOL_INSTALLATION_ID: String(gh.installationId) }
      : {};
    const countStatic = opts.staticPool !== undefined;
    const standbyEnv: Record<string, string> = opts.standby ? { TORNADE_STANDBY: opts.standby.shapes } : {};
    const tornadeOpts = {
      port,
      // Restarts keep both ports: the test bed's webhook URL and the final dashboard read stay valid.
      adminPort,
      storePath: join(dir, "tornade.db"),
      clock: { speed: opts.speed, origin },
      env: { ...poolEnv, ...standbyEnv, ...(opts.scaleSets ? scaleSetEnv(bed, opts.scaleSets.sets) : {}), ...opts.env },
      ...(opts.logFile ? { logFile: opts.logFile } : {}),
    };
    proc = await startTornade(bed, tornadeOpts);
    // Its hooks are in place before any job is queued; its session faults are planned from now, as the kills.
    if (opts.scaleSets) {
      scaleSets = new ScaleSetChaos(bed, opts.plan, opts.faults ? opts.scaleSets.rates : null);
      scaleSets.install();
    }
    // Scale-set intake takes no webhook: tornade has no /events to deliver to.
    if (!opts.scaleSets) bed.github.control.setWebhookUrl(`${proc.url}/events`);

    const t0 = clock.now();
    const queued: QueuedJob[] = [];
    const kills = opts.faults
      ? opts.plan.kills.map((k) => ({ at: t0 + k.atSeconds * 1000, down: k.downSeconds * 1000 }))
      : [];
    let nextRun = 0;
    let restarting: Promise<void> | undefined;
    let restartError: unknown;
    const downSeconds: number[] = [];
    /** A kill is never sooner than this after tornade is back: a process killed while still starting proves little. */
    const minUpMs = 60_000;
    let upSince = t0;
    /** SIGKILLs tornade now and restarts it on the same store after `downMs`; false while it is restarting or young. */
    const killAndRestart = (downMs: number): boolean => {
      const now = clock.now();
      if (restarting || now < upSince + minUpMs) return false;
      const victim: TornadeProcess = proc!;
      victim.child.kill("SIGKILL");
      restarting = (async () => {
        await victim.exited;
        say(`  SIGKILL tornade at ${Math.round((now - t0) / 1000)} s; down ${downMs / 1000} s`);
        const killedAt = clock.now();
        await clock.sleep(downMs);
        proc = await startTornade(bed!, tornadeOpts);
        upSince = clock.now();
        // Planned downtime plus the real time a Node.js process takes to start, in simulated seconds.
        downSeconds.push(Math.round((upSince - killedAt) / 1000));
      })().then(
        () => void (restarting = undefined),
        (e: unknown) => void (restartError = e),
      );
      return true;
    };
    if (opts.standby) {
      const rnd = prng(opts.plan.seed ^ 0xdead);
      watch = new StandbyWatch(bed, opts.plan, opts.faults ? opts.standby.rates : null, () => killAndRestart((5 + Math.floor(rnd() * 55)) * 1000));
    }
    const injector = opts.faults ? new FaultInjector(bed, opts.plan, opts.faults.rates, watch) : undefined;
    injector?.install();
    let lastProgressAt = t0;
    let settledCount = 0;
    let lastSettleCheck = 0;
    let drained = false;
    const counted = () => countedJobs(queued, countStatic);
    const expected = opts.plan.runs.flatMap((r) => r.jobs).filter((j) => countStatic || !j.static).length;

    for (;;) {
      const now = clock.now();
      for (let run = opts.plan.runs[nextRun]; run && now >= t0 + run.atSeconds * 1000; run = opts.plan.runs[++nextRun]) {
        const view = bed.github.control.createRun({
          workflowName: "chaos",
          jobs: run.jobs.map((j) => ({ name: j.name, labels: j.labels, durationSeconds: j.durationSeconds })),
        });
        run.jobs.forEach((job, i) => {
          const jobId = Number(view.jobs[i]?.id);
          queued.push({ job, runId: view.id, jobId, queuedAt: now });
          injector?.track(job, jobId);
        });
      }
      injector?.tick();
      watch?.tick();
      scaleSets?.tick();
      const kill = kills[0];
      if (kill && now >= kill.at && killAndRestart(kill.down)) kills.shift();
      if (restartError !== undefined) throw restartError;

      // Reading every job's runs is the harness's heaviest work and shares the CPU with the simulators: done twice a
      // second, not every tick. Drain times come from GitHub's completed_at, so this costs them no precision.
      const allQueued = nextRun >= opts.plan.runs.length;
      if (Date.now() - lastSettleCheck >= SETTLE_CHECK_MS) {
        lastSettleCheck = Date.now();
        const settled = counted().filter((q) => settledAt(bed!, q) !== undefined).length;
        if (settled !== settledCount) {
          settledCount = settled;
          lastProgressAt = now;
        }
        if (allQueued && !restarting && kills.length === 0 && counted().every((q) => isServed(bed!, q))) {
          drained = true;
          break;
        }
      }
      if (allQueued && !restarting && kills.length === 0 && now - lastProgressAt > opts.stallSeconds * 1000) break;
      await new Promise((r) => setTimeout(r, TICK_MS));
    }
    const cutoffAt = clock.now();
    if (restarting) await restarting;
    if (restartError !== undefined) throw restartError;
    injector?.stop();
    watch?.stop();
    scaleSets?.stop();
    if (opts.standby) {
      // The end of the day: tornade is restarted with every standby count at 0 and must retire them all.
      proc.child.kill("SIGTERM");
      await proc.exited;
      proc = await startTornade(bed, { ...tornadeOpts, env: { ...tornadeOpts.env, TORNADE_STANDBY: standbysOff(opts.standby.shapes) } });
    }
    say(`  ${drained ? "drained" : "stalled"} after ${Math.round((cutoffAt - t0) / 1000)} s simulated: ${settledCount}/${expected} jobs settled`);

    // Grace: tornade may still be stopping idle runners and reaping what it started. Stop early once nothing is left.
    const graceEnd = clock.now() + opts.graceSeconds * 1000;
    while (clock.now() < graceEnd) {
      const o = orphansOf(bed);
      // With standbys, unread handoff parameters must be gone too (deleted, or expired at the boot timeout).
      const params = opts.standby ? jitParametersLeft(bed) : 0;
      if (o.tasks + o.builds + o.runners + params === 0) break;
      await new Promise((r) => setTimeout(r, TICK_MS * 4));
    }
    const result = measure(bed, queued, {
      countStatic,
      drained,
      cutoffAt,
      tornade: await tornadeView(proc.adminUrl),
      ...(watch ? { standby: watch } : {}),
      ...(scaleSets ? { scaleSet: scaleSets } : {}),
    });
    const faults = injector ? injector.finish() : noFaults();
    faults.restarts = downSeconds.length;
    faults.downSeconds = downSeconds;
    // Without a pool static jobs stay queued; cancel their runs so nothing waits on them.
    for (const runId of new Set(queued.filter((q) => q.job.static).map((q) => q.runId))) bed.github.control.cancelRun(runId);
    return {
      ...result,
      faults,
      ...(watch ? { standbyFaults: { ...watch.counts } } : {}),
      ...(scaleSets ? { scaleSetFaults: scaleSets.finish() } : {}),
      realSeconds: Math.round((Date.now() - realStart) / 100) / 10,
      tornadeOutput: proc.output(),
    };
  } finally {
    if (proc && proc.child.exitCode === null && proc.child.signalCode === null) {
      proc.child.kill("SIGTERM");
      const exited = proc.exited;
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      proc.child.kill("SIGKILL");
    }
    await bed?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
