import { describe, expect, it } from "vitest";
import {
  desiredSize,
  inSchedule,
  isTimeZone,
  localTime,
  parsePoolRunnerName,
  parseWindow,
  planPool,
  poolRunnerLabels,
  poolRunnerName,
  ScheduleError,
  type PoolRunner,
  type PoolSpec,
} from "./pool.js";

// 2024-01-15 was a Monday.
const utc = (day: number, hh: number, mm = 0): number => Date.UTC(2024, 0, 15 + day, hh, mm);

describe("parseWindow", () => {
  it.each([
    ["Mon-Fri 08:00-20:00", { days: [1, 2, 3, 4, 5], from: 480, to: 1200 }],
    ["sat,sun 10:00-14:30", { days: [0, 6], from: 600, to: 870 }],
    ["Fri-Mon 9:00-17:00", { days: [0, 1, 5, 6], from: 540, to: 1020 }],
    ["daily 00:00-24:00", { days: [0, 1, 2, 3, 4, 5, 6], from: 0, to: 1440 }],
    ["Monday,Wednesday 22:00-06:00", { days: [1, 3], from: 1320, to: 360 }],
  ])("reads %s", (text, want) => {
    expect(parseWindow(text)).toEqual(want);
  });

  it.each([
    ["Mon-Fri", /not a schedule window/],
    ["Mon-Fri 08:00", /not a schedule window/],
    ["Funday 08:00-10:00", /"funday" is not a day/],
    ["Mon-Fri-Sat 08:00-10:00", /not a day or a range/],
    ["Mon 25:00-26:00", /not a time of day/],
    ["Mon 08:60-09:00", /not a time of day/],
    ["Mon 08:00-08:00", /same time; for a whole day write 00:00-24:00/],
    ["Mon 24:00-02:00", /starts at 24:00/],
  ])("refuses %s", (text, message) => {
    expect(() => parseWindow(text)).toThrow(ScheduleError);
    expect(() => parseWindow(text)).toThrow(message);
  });
});

describe("schedule", () => {
  const workHoursTokyo = { timeZone: "Asia/Tokyo", windows: [parseWindow("Mon-Fri 09:00-18:00")] };

  it("reads local time in the zone", () => {
    // Monday 00:30 UTC is Monday 09:30 in Tokyo (UTC+9).
    expect(localTime(utc(0, 0, 30), "Asia/Tokyo")).toEqual({ day: 1, minute: 570 });
    // Monday 03:00 UTC is Sunday 22:00 in New York (UTC-5 in January).
    expect(localTime(utc(0, 3), "America/New_York")).toEqual({ day: 0, minute: 1320 });
  });

  it.each([
    ["Monday 08:59 Tokyo", utc(-1, 23, 59), false],
    ["Monday 09:00 Tokyo", utc(0, 0), true],
    ["Monday 17:59 Tokyo", utc(0, 8, 59), true],
    ["Monday 18:00 Tokyo", utc(0, 9), false],
    ["Saturday 12:00 Tokyo", utc(5, 3), false],
  ])("working hours in Tokyo: %s → %s", (_, now, want) => {
    expect(inSchedule(workHoursTokyo, now)).toBe(want);
  });

  it("an overnight window continues into the next day and only from its own days", () => {
    const nights = { timeZone: "UTC", windows: [parseWindow("Fri 22:00-06:00")] };
    expect(inSchedule(nights, utc(4, 23))).toBe(true); // Friday 23:00
    expect(inSchedule(nights, utc(5, 5, 59))).toBe(true); // Saturday 05:59
    expect(inSchedule(nights, utc(5, 6))).toBe(false); // Saturday 06:00
    expect(inSchedule(nights, utc(3, 23))).toBe(false); // Thursday 23:00
    expect(inSchedule(nights, utc(4, 5))).toBe(false); // Friday 05:00 (Thursday was not a night)
  });

  it("follows daylight saving time", () => {
    const ny = { timeZone: "America/New_York", windows: [parseWindow("daily 09:00-10:00")] };
    expect(inSchedule(ny, Date.UTC(2024, 0, 15, 14, 30))).toBe(true); // EST: 09:30
    expect(inSchedule(ny, Date.UTC(2024, 6, 15, 14, 30))).toBe(false); // EDT: 10:30
    expect(inSchedule(ny, Date.UTC(2024, 6, 15, 13, 30))).toBe(true); // EDT: 09:30
  });

  it("no windows means always; desiredSize is the size inside, 0 outside", () => {
    expect(inSchedule({ timeZone: "UTC", windows: [] }, utc(5, 3))).toBe(true);
    const pool: PoolSpec = { backend: "FARGATE", arch: "X86_64", size: 3, schedule: workHoursTokyo };
    expect(desiredSize(pool, utc(0, 1))).toBe(3);
    expect(desiredSize(pool, utc(5, 3))).toBe(0);
    expect(desiredSize({ ...pool, schedule: undefined }, utc(5, 3))).toBe(3);
  });

  it("knows real time zones", () => {
    expect(isTimeZone("Asia/Tokyo")).toBe(true);
    expect(isTimeZone("Mars/Olympus")).toBe(false);
  });
});

describe("names and labels", () => {
  it("round-trips a pool runner name", () => {
    const name = poolRunnerName("FARGATE_SPOT", "ARM64", 1705276800000);
    expect(name).toBe("tornade-pool-fargate_spot-arm64-1705276800000");
    expect(parsePoolRunnerName(name)).toEqual({ backend: "FARGATE_SPOT", arch: "ARM64", n: 1705276800000 });
    expect(parsePoolRunnerName("TORNADE-POOL-CODEBUILD-X86_64-7")).toEqual({ backend: "CODEBUILD", arch: "X86_64", n: 7 });
  });

  it.each(["tornade-42-1", "tornade-pool-ec2-x86_64-1", "tornade-pool-fargate-riscv-1", "tornade-pool-fargate-x86_64-", "my-static-runner"])(
    "%s is not a pool runner",
    (name) => {
      expect(parsePoolRunnerName(name)).toBeUndefined();
    },
  );

  it("registers the static labels, the backend and every spelling of the arch", () => {
    expect(poolRunnerLabels("tornade", "FARGATE", "X86_64")).toEqual([
      "self-hosted",
      "tornade",
      "type=static",
      "runs-on=FARGATE",
      "arch=X86_64",
      "arch=x64",
      "arch=amd64",
    ]);
    expect(poolRunnerLabels("ci", "CODEBUILD", "ARM64")).toEqual(["self-hosted", "ci", "type=static", "runs-on=CODEBUILD", "arch=ARM64", "arch=aarch64"]);
  });

  it("a static job with or without runs-on/arch is a subset of the default pool runner's labels (GitHub's match rule)", () => {
    const runner = poolRunnerLabels("tornade", "FARGATE", "X86_64").map((l) => l.toLowerCase());
    const takes = (job: string[]) => job.every((l) => runner.includes(l.toLowerCase()));
    expect(takes(["self-hosted", "tornade", "type=static"])).toBe(true);
    expect(takes(["self-hosted", "tornade", "type=static", "runs-on=fargate", "arch=amd64"])).toBe(true);
    expect(takes(["self-hosted", "tornade", "type=static", "arch=ARM64"])).toBe(false);
    expect(takes(["self-hosted", "tornade", "type=static", "12345678"])).toBe(false); // a run id label: no pool runner has it
  });
});

describe("planPool", () => {
  const policy = { bootTimeoutMs: 600_000, maxLaunchesPerRound: 10 };
  const now = 10_000_000;
  const fargate: PoolSpec = { backend: "FARGATE", arch: "X86_64", size: 2 };
  let nextId = 1;
  const runner = (over: Partial<PoolRunner> = {}): PoolRunner => {
    const id = over.id ?? nextId++;
    const createdAt = over.createdAt ?? now - 60_000;
    return { id, name: `r${id}`, backend: "FARGATE", arch: "X86_64", createdAt, status: "online", busy: false, ...over };
  };

  it("an empty pool is filled", () => {
    const plan = planPool([fargate], [], now, policy);
    expect(plan.launch).toEqual([{ backend: "FARGATE", arch: "X86_64", count: 2 }]);
    expect(plan.deregister).toEqual([]);
    expect(plan.pools).toEqual([{ backend: "FARGATE", arch: "X86_64", desired: 2, idle: 0, starting: 0, busy: 0 }]);
  });

  it("starting runners count as launches in flight; a full pool does nothing", () => {
    const plan = planPool([fargate], [runner(), runner({ status: "offline" })], now, policy);
    expect(plan.launch).toEqual([]);
    expect(plan.deregister).toEqual([]);
  });

  it("a runner that took a job no longer counts: the pool tops up, and the busy one is never touched", () => {
    const busy = runner({ busy: true });
    const plan = planPool([fargate], [busy, runner()], now, policy);
    expect(plan.launch).toEqual([{ backend: "FARGATE", arch: "X86_64", count: 1 }]);
    expect(plan.deregister).toEqual([]);
    expect(plan.pools[0]).toMatchObject({ idle: 1, busy: 1 });
  });

  it("shrinking drains starting runners first, then the newest idle ones, never a busy one", () => {
    const old = runner({ createdAt: now - 500_000 });
    const newer = runner({ createdAt: now - 100_000 });
    const starting = runner({ status: "offline", createdAt: now - 10_000 });
    const busy = runner({ busy: true });
    const plan = planPool([{ ...fargate, size: 1 }], [old, newer, starting, busy], now, policy);
    expect(plan.deregister.map((d) => [d.runner.id, d.why])).toEqual([
      [starting.id, "drain"],
      [newer.id, "drain"],
    ]);
    expect(plan.launch).toEqual([]);
  });

  it("size 0 (or outside the schedule, or no longer configured) drains every idle runner", () => {
    const rs = [runner(), runner({ status: "offline" }), runner({ busy: true })];
    const drained = (pools: PoolSpec[]) => planPool(pools, rs, now, policy).deregister.map((d) => d.runner.id).sort();
    const idleIds = [rs[0]?.id, rs[1]?.id].sort();
    expect(drained([{ ...fargate, size: 0 }])).toEqual(idleIds);
    expect(drained([])).toEqual(idleIds);
    const never = { timeZone: "UTC", windows: [{ days: [], from: 0, to: 1440 }] };
    expect(drained([{ ...fargate, schedule: never }])).toEqual(idleIds);
  });

  it("a runner offline past the boot timeout is stale: deregistered and replaced", () => {
    const stale = runner({ status: "offline", createdAt: now - 600_001 });
    const plan = planPool([fargate], [stale, runner()], now, policy);
    expect(plan.deregister).toEqual([{ runner: stale, why: "stale" }]);
    expect(plan.launch).toEqual([{ backend: "FARGATE", arch: "X86_64", count: 1 }]);
  });

  it("an old runner that is online is not stale (it is the pool doing its job)", () => {
    const plan = planPool([fargate], [runner({ createdAt: now - 86_400_000 }), runner()], now, policy);
    expect(plan.deregister).toEqual([]);
  });

  it("pools are per backend and arch and do not count each other's runners", () => {
    const arm: PoolSpec = { backend: "CODEBUILD", arch: "ARM64", size: 1 };
    const plan = planPool([fargate, arm], [runner(), runner({ backend: "CODEBUILD", arch: "X86_64" })], now, policy);
    expect(plan.launch).toEqual([
      { backend: "FARGATE", arch: "X86_64", count: 1 },
      { backend: "CODEBUILD", arch: "ARM64", count: 1 },
    ]);
    expect(plan.deregister.map((d) => [d.runner.backend, d.runner.arch, d.why])).toEqual([["CODEBUILD", "X86_64", "drain"]]);
  });

  it("launches per round are capped across pools", () => {
    const plan = planPool([{ ...fargate, size: 8 }, { backend: "FARGATE_SPOT", arch: "ARM64", size: 8 }], [], now, { ...policy, maxLaunchesPerRound: 10 });
    expect(plan.launch).toEqual([
      { backend: "FARGATE", arch: "X86_64", count: 8 },
      { backend: "FARGATE_SPOT", arch: "ARM64", count: 2 },
    ]);
  });
});
