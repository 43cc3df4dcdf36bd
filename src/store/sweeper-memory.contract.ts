/** The sweeper's memory (sweeper-memory.ts) as every Store keeps it: part of the store contract (store.contract.ts). */
import { describe, expect, it } from "vitest";
import type { FailedDelivery } from "./sweeper-memory.js";
import type { StoreUnderTest } from "./store.contract.js";

const failed = (guid: string, over: Partial<FailedDelivery> = {}): FailedDelivery => ({
  guid,
  deliveryId: 1000,
  action: "queued",
  foundAt: 1_700_000_000_000,
  attempts: 0,
  triedAt: null,
  ...over,
});

export function sweeperMemoryContract(current: () => StoreUnderTest): void {
  describe("the sweeper's memory", () => {
    it("follows failed deliveries once, reads back every field, and forgets them", async () => {
      const { store } = current();
      expect(await store.listFailedDeliveries()).toEqual([]);
      const a = failed("guid-a", { action: null, foundAt: 1_700_000_000_100 });
      const b = failed("guid-b", { deliveryId: 77, attempts: 2, triedAt: 1_700_000_000_050 });
      await store.followFailedDeliveries([a, b]);
      // Following again changes nothing: the record kept is the first one.
      await store.followFailedDeliveries([{ ...a, deliveryId: 5, attempts: 9 }]);
      expect(await store.listFailedDeliveries()).toEqual([b, a]);
      await store.forgetFailedDeliveries(["guid-b", "never-followed"]);
      expect(await store.listFailedDeliveries()).toEqual([a]);
      await store.forgetFailedDeliveries([]);
      await store.followFailedDeliveries([]);
      expect(await store.listFailedDeliveries()).toEqual([a]);
    });

    it("claims a redelivery only from the attempts it was read at: of racing replicas one asks", async () => {
      const { store } = current();
      await store.followFailedDeliveries([failed("guid-a")]);
      const claims = await Promise.all(Array.from({ length: 5 }, () => store.claimRedelivery("guid-a", 0, 2000, 1_700_000_001_000)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.listFailedDeliveries()).toEqual([failed("guid-a", { deliveryId: 2000, attempts: 1, triedAt: 1_700_000_001_000 })]);
      expect(await store.claimRedelivery("guid-a", 0, 3000, 1_700_000_002_000)).toBe(false);
      expect(await store.claimRedelivery("guid-a", 1, 3000, 1_700_000_002_000)).toBe(true);
      expect(await store.claimRedelivery("not-followed", 0, 1, 1)).toBe(false);
      expect((await store.listFailedDeliveries())[0]).toMatchObject({ attempts: 2, deliveryId: 3000 });
    });

    it("remembers runs per repository, replaces what it knew of a run, and reads only those looked at since a time", async () => {
      const { store, clock } = current();
      const now = clock.now();
      await store.rememberRuns("octo/widgets", [
        { runId: 1, lookedAt: now - 5000, settled: true },
        { runId: 2, lookedAt: now - 1000, settled: false },
      ], 3600_000);
      await store.rememberRuns("octo/other", [{ runId: 3, lookedAt: now, settled: true }], 3600_000);
      await store.rememberRuns("octo/widgets", [{ runId: 1, lookedAt: now, settled: false }], 3600_000);
      const sorted = async (repo: string, since: number) => (await store.lookedAtRuns(repo, since)).sort((x, y) => x.runId - y.runId);
      expect(await sorted("octo/widgets", 0)).toEqual([
        { runId: 1, lookedAt: now, settled: false },
        { runId: 2, lookedAt: now - 1000, settled: false },
      ]);
      expect(await sorted("octo/widgets", now - 500)).toEqual([{ runId: 1, lookedAt: now, settled: false }]);
      expect(await sorted("octo/other", 0)).toEqual([{ runId: 3, lookedAt: now, settled: true }]);
      expect(await store.lookedAtRuns("nobody/here", 0)).toEqual([]);
    });
  });
}
