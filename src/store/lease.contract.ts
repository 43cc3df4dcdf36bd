/**
 * Leases (lease.ts) as every Store keeps them: part of the store contract (store.contract.ts). One holder at a time,
 * renewals by the holder, take-over only once the lease has lapsed, and of two racing for it exactly one wins.
 */
import { describe, expect, it } from "vitest";
import type { StoreUnderTest } from "./store.contract.js";

export function leaseContract(current: () => StoreUnderTest): void {
  describe("leases", () => {
    it("has one holder: another is refused until it lapses, then takes it over; the holder renews", async () => {
      const { store, clock } = current();
      // Long enough in clock ms that the refusals below happen well inside it, short enough to wait out.
      const ttl = Math.max(2_000, clock.speed * 100);
      expect(await store.acquireLease("scale-set:a", "replica-1", ttl)).toBe(true);
      expect(await store.acquireLease("scale-set:a", "replica-2", ttl)).toBe(false);
      expect(await store.acquireLease("scale-set:a", "replica-1", ttl)).toBe(true);
      const held = await store.getLease("scale-set:a");
      expect(held).toMatchObject({ name: "scale-set:a", holder: "replica-1" });
      expect(held?.expiresAt).toBeGreaterThan(clock.now());
      // Another lease is another name.
      expect(await store.acquireLease("scale-set:b", "replica-2", ttl)).toBe(true);

      await clock.sleep(ttl + 10);
      expect(await store.acquireLease("scale-set:a", "replica-2", ttl)).toBe(true);
      expect(await store.acquireLease("scale-set:a", "replica-1", ttl)).toBe(false);
      expect((await store.getLease("scale-set:a"))?.holder).toBe("replica-2");
    });

    it("is released only by its holder, and is free at once after", async () => {
      const { store } = current();
      expect(await store.acquireLease("scale-set:c", "replica-1", 600_000)).toBe(true);
      await store.releaseLease("scale-set:c", "replica-2");
      expect((await store.getLease("scale-set:c"))?.holder).toBe("replica-1");
      await store.releaseLease("scale-set:c", "replica-1");
      expect(await store.getLease("scale-set:c")).toBeUndefined();
      expect(await store.acquireLease("scale-set:c", "replica-2", 600_000)).toBe(true);
    });

    it("lets exactly one of replicas racing for a free lease win", async () => {
      const { store } = current();
      const results = await Promise.all(["r1", "r2", "r3", "r4"].map((h) => store.acquireLease("scale-set:race", h, 600_000)));
      expect(results.filter(Boolean)).toHaveLength(1);
      const holder = (await store.getLease("scale-set:race"))?.holder;
      expect(["r1", "r2", "r3", "r4"][results.indexOf(true)]).toBe(holder);
    });
  });
}
