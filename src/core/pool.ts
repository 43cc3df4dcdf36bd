/**
 * The always-on pool for `type=static` jobs: pure decisions only. Which pool runners should exist now (size and
 * schedule, a function of `now`), what a pool runner is called and which labels it registers with, and — given the
 * runners GitHub lists — which runners to launch and which to deregister. The controller (controller/pool.ts) does the
 * I/O; everything that can be wrong is here, in plain values.
 *
 * Pool state is not stored: it is read back every round from GitHub's runner list. A pool runner's name carries its
 * backend, its arch and a number that is the clock time it was created at, so its pool and its age need no record.
 */
import { ARCHS, BACKENDS, type Arch, type Backend } from "./types.js";
import { ARCH_LABEL_VALUES, interpretLabels, SELF_HOSTED } from "./labels.js";

export const POOL_NAME_PREFIX = "tornade-pool-";
export const STATIC_LABEL = "type=static";

// ---------------------------------------------------------------------------------------------------------------
// Schedule

/** 0 = Sunday … 6 = Saturday, as Date#getDay. */
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;
const DAY_NAMES = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;

/** One weekly window in local time: on `days`, from `from` (inclusive) to `to` (exclusive), minutes after midnight. */
export interface ScheduleWindow {
  readonly days: readonly Weekday[];
  readonly from: number;
  /** 1440 = midnight at the end of the day. Less than `from`: the window runs past midnight into the next day. */
  readonly to: number;
}

export interface PoolSchedule {
  /** An IANA time zone, e.g. Asia/Tokyo. */
  readonly timeZone: string;
  /** Empty: always on. */
  readonly windows: readonly ScheduleWindow[];
}

export class ScheduleError extends Error {
  override readonly name = "ScheduleError";
}

export const WINDOW_SYNTAX = 'DAYS HH:MM-HH:MM, e.g. "Mon-Fri 08:00-20:00", "Sat,Sun 10:00-14:00" or "Mon-Fri 22:00-06:00"';

/** Reads "Mon-Fri 08:00-20:00". Days: names (Sun…Sat), ranges (Mon-Fri, Fri-Mon wraps), comma lists, or "daily". */
export function parseWindow(text: string): ScheduleWindow {
  const m = /^\s*(\S+)\s+(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) throw new ScheduleError(`"${text}" is not a schedule window; write ${WINDOW_SYNTAX}`);
  const [, daysText = "", fh = "", fm = "", th = "", tm = ""] = m;
  const from = minutes(text, fh, fm);
  const to = minutes(text, th, tm);
  if (from === to) throw new ScheduleError(`"${text}" starts and ends at the same time; for a whole day write 00:00-24:00`);
  if (from === 1440) throw new ScheduleError(`"${text}" starts at 24:00; start at 00:00 of the next day instead`);
  return { days: parseDays(text, daysText), from, to };
}

function minutes(text: string, h: string, m: string): number {
  const hours = Number(h);
  const mins = Number(m);
  if (hours > 24 || mins > 59 || (hours === 24 && mins !== 0)) {
    throw new ScheduleError(`"${text}": ${h}:${m} is not a time of day (00:00 to 24:00)`);
  }
  return hours * 60 + mins;
}

function parseDays(text: string, daysText: string): Weekday[] {
  const lower = daysText.toLowerCase();
  if (lower === "daily" || lower === "*") return [0, 1, 2, 3, 4, 5, 6];
  const out = new Set<Weekday>();
  for (const part of lower.split(",")) {
    const [a, b, ...rest] = part.split("-");
    const start = dayOf(text, a);
    if (rest.length) throw new ScheduleError(`"${text}": "${part}" is not a day or a range of days like Mon-Fri`);
    if (b === undefined) {
      out.add(start);
      continue;
    }
    const end = dayOf(text, b);
    for (let d = start; ; d = ((d + 1) % 7) as Weekday) {
      out.add(d);
      if (d === end) break;
    }
  }
  return [...out].sort((x, y) => x - y);
}

const FULL_DAY_NAMES = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;

function dayOf(text: string, name: string | undefined): Weekday {
  const i = DAY_NAMES.findIndex((d, at) => name === d || name === FULL_DAY_NAMES[at]);
  if (i < 0) throw new ScheduleError(`"${text}": "${name ?? ""}" is not a day; use Sun, Mon, Tue, Wed, Thu, Fri, Sat`);
  return i as Weekday;
}

/** True when `timeZone` is an IANA zone this Node.js knows (its ICU data, as Intl reads it). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Weekday and minute of the day at `now` in `timeZone`, daylight saving time included (Intl's tz database). */
export function localTime(now: number, timeZone: string): { day: Weekday; minute: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", { timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
    formatters.set(timeZone, f);
  }
  const parts = f.formatToParts(new Date(now));
  const get = (type: string): string => parts.find((p) => p.type === type)?.value ?? "";
  const day = DAY_NAMES.indexOf(get("weekday").toLowerCase() as (typeof DAY_NAMES)[number]);
  return { day: (day < 0 ? 0 : day) as Weekday, minute: Number(get("hour")) * 60 + Number(get("minute")) };
}

export function inSchedule(schedule: PoolSchedule, now: number): boolean {
  if (schedule.windows.length === 0) return true;
  const { day, minute } = localTime(now, schedule.timeZone);
  const yesterday = ((day + 6) % 7) as Weekday;
  return schedule.windows.some((w) =>
    w.from < w.to
      ? w.days.includes(day) && minute >= w.from && minute < w.to
      : (w.days.includes(day) && minute >= w.from) || (w.days.includes(yesterday) && minute < w.to),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Pools, names and labels

export interface PoolSpec {
  readonly backend: Backend;
  readonly arch: Arch;
  /** Runners to keep idle while the schedule is on. */
  readonly size: number;
  readonly schedule?: PoolSchedule | undefined;
}

/** How many idle runners the pool should have at `now`: its size inside its schedule, 0 outside. */
export function desiredSize(pool: PoolSpec, now: number): number {
  return pool.schedule === undefined || inSchedule(pool.schedule, now) ? pool.size : 0;
}

export function poolKey(backend: Backend, arch: Arch): string {
  return `${backend}/${arch}`;
}

/**
 * `tornade-pool-<backend>-<arch>-<n>`, lower case; `n` is the clock time of creation (ms), unique per manager. GitHub
 * requires runner names to be unique within their repository or organization (generate-jitconfig answers 409).
 */
export function poolRunnerName(backend: Backend, arch: Arch, n: number): string {
  return `${POOL_NAME_PREFIX}${backend.toLowerCase()}-${arch.toLowerCase()}-${n}`;
}

export function parsePoolRunnerName(name: string): { backend: Backend; arch: Arch; n: number } | undefined {
  const m = /^tornade-pool-([a-z_0-9]+)-([a-z_0-9]+)-(\d{1,16})$/i.exec(name);
  if (!m) return undefined;
  const backend = BACKENDS.find((b) => b.toLowerCase() === m[1]?.toLowerCase());
  const arch = ARCHS.find((a) => a.toLowerCase() === m[2]?.toLowerCase());
  if (!backend || !arch) return undefined;
  return { backend, arch, n: Number(m[3]) };
}

/**
 * The labels a pool runner registers with. GitHub gives a job to a runner whose labels include ALL the job's labels
 * ("Choosing the runner for a job", docs.github.com/en/actions/using-jobs/choosing-the-runner-for-a-job), compared
 * case-insensitively, so:
 * - `self-hosted`, the launch label and `type=static` are the labels every static job has;
 * - `runs-on=<backend>` and every spelling of `arch=<arch>` tornade accepts (arch=X86_64, arch=x64, arch=amd64) let
 *   a job pick this pool, however it spells the arch;
 * - a static job without runs-on=/arch= has a subset of these labels, so the default pool's runners take it — and so
 *   can any other pool's: a job that needs one arch or backend must say so.
 */
export function poolRunnerLabels(launchLabel: string, backend: Backend, arch: Arch): string[] {
  const archLabels = ARCH_LABEL_VALUES.filter((v) => archOfLabel(v) === arch)
    .map((v) => `arch=${v}`)
    .filter((l, i, all) => all.findIndex((x) => x.toLowerCase() === l.toLowerCase()) === i);
  return [SELF_HOSTED, launchLabel, STATIC_LABEL, `runs-on=${backend}`, ...archLabels];
}

/** What an `arch=` value means, by the label grammar itself (so aliases stay defined in one place). */
function archOfLabel(value: string): Arch | undefined {
  const v = interpretLabels([SELF_HOSTED, "x", `arch=${value}`], { launchLabel: "x", defaultBackend: "FARGATE", images: [] });
  return v.kind === "launch" ? v.spec.arch : undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The plan for one round

/** A pool runner as GitHub lists it, its name already parsed. */
export interface PoolRunner {
  readonly id: number;
  readonly name: string;
  readonly backend: Backend;
  readonly arch: Arch;
  /** From the name: the clock time it was created at. */
  readonly createdAt: number;
  readonly status: "online" | "offline";
  readonly busy: boolean;
}

export interface PoolPolicy {
  /**
   * A pool runner still offline this long after it was created never came up (its task failed to start, or tornade
   * crashed between registering and launching it): it is deregistered and replaced.
   */
  readonly bootTimeoutMs: number;
  /** At most this many launches per round, so a big pool fills at a pace AWS and GitHub accept. */
  readonly maxLaunchesPerRound: number;
}

export type DeregisterWhy = "drain" | "stale";

export interface PoolPlan {
  /** Per pool (including pools no longer configured whose runners remain): what it wants and has. */
  readonly pools: readonly PoolStatus[];
  readonly launch: readonly { readonly backend: Backend; readonly arch: Arch; readonly count: number }[];
  readonly deregister: readonly { readonly runner: PoolRunner; readonly why: DeregisterWhy }[];
}

export interface PoolStatus {
  readonly backend: Backend;
  readonly arch: Arch;
  readonly desired: number;
  /** Online and idle: can take a job now. */
  readonly idle: number;
  /** Registered, not yet online, within the boot timeout: launches in flight. */
  readonly starting: number;
  /** Running a job: no longer counted, never touched. */
  readonly busy: number;
}

/**
 * Decides a round: busy runners are left alone and not counted (they took a job, so the pool tops up); runners
 * offline past the boot timeout are deregistered; the rest (idle + starting) are compared with the desired size —
 * missing ones are launched, extra ones drained (those still starting first, then the newest idle ones).
 */
export function planPool(pools: readonly PoolSpec[], runners: readonly PoolRunner[], now: number, policy: PoolPolicy): PoolPlan {
  const keys = new Map<string, { backend: Backend; arch: Arch; desired: number }>();
  for (const p of pools) {
    const k = poolKey(p.backend, p.arch);
    const prev = keys.get(k);
    keys.set(k, { backend: p.backend, arch: p.arch, desired: (prev?.desired ?? 0) + desiredSize(p, now) });
  }
  for (const r of runners) {
    const k = poolKey(r.backend, r.arch);
    if (!keys.has(k)) keys.set(k, { backend: r.backend, arch: r.arch, desired: 0 });
  }

  const status: PoolStatus[] = [];
  const launch: { backend: Backend; arch: Arch; count: number }[] = [];
  const deregister: { runner: PoolRunner; why: DeregisterWhy }[] = [];
  let budget = Math.max(0, policy.maxLaunchesPerRound);
  for (const [k, pool] of keys) {
    const mine = runners.filter((r) => poolKey(r.backend, r.arch) === k);
    const busy = mine.filter((r) => r.busy);
    const stale = mine.filter((r) => !r.busy && r.status === "offline" && now - r.createdAt > policy.bootTimeoutMs);
    const starting = mine.filter((r) => !r.busy && r.status === "offline" && !stale.includes(r));
    const idle = mine.filter((r) => !r.busy && r.status === "online");
    for (const r of stale) deregister.push({ runner: r, why: "stale" });

    const available = idle.length + starting.length;
    if (available < pool.desired) {
      const count = Math.min(pool.desired - available, budget);
      budget -= count;
      if (count > 0) launch.push({ backend: pool.backend, arch: pool.arch, count });
    } else if (available > pool.desired) {
      const newestFirst = (a: PoolRunner, b: PoolRunner) => b.createdAt - a.createdAt || b.id - a.id;
      const order = [...starting.sort(newestFirst), ...idle.sort(newestFirst)];
      for (const r of order.slice(0, available - pool.desired)) deregister.push({ runner: r, why: "drain" });
    }
    status.push({ backend: pool.backend, arch: pool.arch, desired: pool.desired, idle: idle.length, starting: starting.length, busy: busy.length });
  }
  return { pools: status, launch, deregister };
}
