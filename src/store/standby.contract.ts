/**
 * Standby runners' launch rows (docs/standby.md) as every Store keeps them: part of the store contract
 * (store.contract.ts). The claim protocol rests on two promises of the port, checked here with a standby's fields:
 * a versioned write of the standby's row lets one of two claims win, and a job's launch row is written once.
 */
import { describe, expect, it } from "vitest";
import type { StandbyRole } from "../core/standby.js";
import { NO_JOB, VersionConflict, launchId, type NewLaunch } from "./store.js";
import type { StoreUnderTest } from "./store.contract.js";

const N = 1_767_225_600_777;
const STANDBY_ID = launchId(NO_JOB, N);
const free: StandbyRole = {
  shape: "FARGATE/X86_64/cpu=2,memory=4096,disk=-/image=default",
  parameter: "/tornade/jit/tornade-standby-1767225600777.0123456789abcdef0123456789abcdef",
  status: { kind: "free" },
};

const standbyRow = (over: Partial<NewLaunch> = {}): NewLaunch => ({
  jobId: NO_JOB,
  attempt: N,
  backend: "FARGATE",
  arch: "X86_64",
  runnerName: `tornade-standby-${N}`,
  requestedAt: 1_700_000_002_000,
  state: "running",
  providerId: "arn:aws:ecs:us-east-1:123456789012:task/tornade/standby",
  standby: free,
  ...over,
});

const jobRow = (jobId: number, attempt: number, handoffFrom: string | null): NewLaunch => ({
  jobId,
  attempt,
  backend: "FARGATE",
  arch: "X86_64",
  runnerName: `tornade-${jobId}-${attempt}`,
  requestedAt: 1_700_000_003_000,
  handoffFrom,
});

export function standbyRowsContract(current: () => StoreUnderTest): void {
  describe("standby rows", () => {
    it("keeps a standby's shape, parameter and status, and lets only one of two claims at one version win", async () => {
      const { store } = current();
      expect(await store.putLaunch(standbyRow())).toBe(true);
      const read = await store.getLaunch(STANDBY_ID);
      expect(read).toMatchObject({ jobId: NO_JOB, standby: free, handoffFrom: null, version: 1 });
      expect((await store.listLaunchesByState(["running"]))[0]?.standby).toEqual(free);

      const claim = (jobId: number) => store.updateLaunch(STANDBY_ID, 1, { standby: { ...free, status: { kind: "claimed", jobId, attempt: 1, at: 5 } } });
      const results = await Promise.allSettled([claim(70), claim(71)]);
      const won = results.filter((r) => r.status === "fulfilled");
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(won).toHaveLength(1);
      expect(lost[0]?.reason).toBeInstanceOf(VersionConflict);
      const claimed = await store.getLaunch(STANDBY_ID);
      expect(claimed?.standby?.status).toMatchObject({ kind: "claimed", attempt: 1, at: 5 });
      expect(claimed?.version).toBe(2);
    });

    it("writes a job's launch row naming its standby once, and counts the task once the standby's row is closed", async () => {
      const { store } = current();
      await store.putLaunch(standbyRow());
      expect(await store.countActiveLaunches()).toBe(1);
      expect(await store.putLaunch(jobRow(72, 1, STANDBY_ID))).toBe(true);
      // A second claimant of the same attempt (another standby) cannot write it again: it releases its claim.
      expect(await store.putLaunch(jobRow(72, 1, launchId(NO_JOB, N + 1)))).toBe(false);
      expect((await store.getLaunch("72-1"))?.handoffFrom).toBe(STANDBY_ID);
      // Claimed and handed: both rows active for a moment (an over-count), then the standby's row is closed.
      await store.updateLaunch(STANDBY_ID, 1, { standby: { ...free, status: { kind: "claimed", jobId: 72, attempt: 1, at: 6 } } });
      const standby = await store.getLaunch(STANDBY_ID);
      await store.updateLaunch("72-1", 1, { state: "launched", providerId: standby?.providerId ?? null, launchedAt: 7 });
      expect(await store.countActiveLaunches()).toBe(2);
      await store.updateLaunch(STANDBY_ID, 2, { state: "stopped", stoppedAt: 7 });
      expect(await store.countActiveLaunches()).toBe(1);
      expect(await store.listLaunches(72)).toEqual([expect.objectContaining({ state: "launched", handoffFrom: STANDBY_ID, standby: null })]);
      // The task is named by both rows now; an AWS state-change event about it is about the job's.
      expect((await store.findLaunchByProviderId(standby?.providerId ?? ""))?.id).toBe("72-1");
    });

    it("keeps a retirement's reason, and a release back to free", async () => {
      const { store } = current();
      await store.putLaunch(standbyRow({ state: "launched" }));
      await store.updateLaunch(STANDBY_ID, 1, { standby: { ...free, status: { kind: "claimed", jobId: 73, attempt: 2, at: 8 } } });
      const released = await store.updateLaunch(STANDBY_ID, 2, { standby: free });
      expect(released.standby).toEqual(free);
      const retired = await store.updateLaunch(STANDBY_ID, 3, { standby: { ...free, status: { kind: "retired", why: "idle-age", at: 9 } } });
      expect(retired.standby?.status).toEqual({ kind: "retired", why: "idle-age", at: 9 });
      expect((await store.getLaunch(STANDBY_ID))?.standby?.status).toEqual({ kind: "retired", why: "idle-age", at: 9 });
    });
  });
}
