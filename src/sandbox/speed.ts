/**
 * How fast the sandbox's clock runs. The sandbox runs the controller, the simulated GitHub, ECS, CodeBuild and every
 * simulated runner in one Node.js process, and the simulated GitHub delivers webhooks one after another, as fast as
 * that process answers. That work is paid in real time while the clock runs `speed` times faster, so the more jobs,
 * the more simulated time passes per job. Measured on the 2-core development machine with 1,000 jobs of the seed's
 * mix (durations 60–300 s): at 600x the 3-hour time limit came with 398 done; at 50x all 1,000 completed after
 * 7,840 simulated seconds (157 s real, the machine loaded by other work) — 2.2 h, too close to the limit. Half of
 * that speed leaves room on a busy machine: 25,000 / jobs (25x at 1,000 jobs), never above 600x, where a small
 * scenario (the seed's six jobs) is done in a few seconds. At 25x the 1,000 jobs completed in 6,086 simulated
 * seconds (1.7 h; 244 s real, the process getting a fifth of a core under a load average of 14).
 */

/** The speed of a small scenario: a 10-minute job takes one real second. */
export const MAX_DEFAULT_SPEED = 600;
/** Jobs × speed the 2-core machine carries with room to spare (measured above). */
export const JOB_SPEED_BUDGET = 25_000;

/**
 * The default speed of a scenario with standbys, whose point is the pickup time (queued → started): every real
 * millisecond the process spends on a job is `speed` simulated ones, so at 600x half a real second of webhook,
 * handoff and registration on a loaded machine reads as minutes. Measured on the 2-core machine, a 3-job scenario:
 * at 600x cold and warm pickups were 850–1,300 s (noise), at 60x 120 s cold and 90 s warm, at 10x 40–47 s cold and
 * 8 s warm — the modelled boot, and the handoff plus the runner's start.
 */
export const STANDBY_DEFAULT_SPEED = 10;

/** The default clock speed for a scenario of `jobs` jobs (`standby`: one that turns standbys on). */
export function defaultSpeed(jobs: number, standby = false): number {
  const speed = Math.min(MAX_DEFAULT_SPEED, Math.max(1, Math.floor(JOB_SPEED_BUDGET / Math.max(1, jobs))));
  return standby ? Math.min(speed, STANDBY_DEFAULT_SPEED) : speed;
}

export interface TimedOutRun {
  readonly speed: number;
  readonly jobs: number;
  /** Jobs that settled before the limit. */
  readonly settled: number;
  readonly wallSeconds: number;
  readonly timeLimitSeconds: number;
}

/**
 * After a run hit its time limit: a speed at which this machine should finish. The jobs settled per real second so far
 * say how long the whole scenario needs in real time; the suggested speed fits that into a quarter of the limit
 * (the rate varies with the machine's load), and is at least halved from the speed that ran out of time.
 */
export function suggestSpeed(run: TimedOutRun): number {
  if (run.settled === 0 || run.wallSeconds <= 0) return Math.max(1, Math.floor(run.speed / 10));
  const jobsPerRealSecond = run.settled / run.wallSeconds;
  const fits = (run.timeLimitSeconds / 4) * (jobsPerRealSecond / run.jobs);
  return Math.max(1, Math.floor(Math.min(run.speed / 2, fits)));
}

/** Real seconds a launch may go unanswered before it counts as lost: longer than a busy machine ever stalls. */
const LAUNCH_STALL_REAL_SECONDS = 3;

/**
 * The launch timeout (launch.inFlightTimeoutSeconds) for a compressed clock. In production 120 s unanswered means a
 * crash mid-launch; at 600x it is 0.2 real seconds, which a loaded machine can spend before AWS's simulated answer is
 * read, and the launch would be replaced by a second one. So the simulated timeout covers a few real seconds (at most
 * the setting's 3,600), never less than production's 120.
 */
export function launchTimeoutSeconds(speed: number): number {
  return Math.min(3600, Math.max(120, Math.ceil(speed * LAUNCH_STALL_REAL_SECONDS)));
}
