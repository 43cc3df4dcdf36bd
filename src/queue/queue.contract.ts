import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Clock } from "../clock/clock.js";
import type { Queue } from "./queue.js";

export interface QueueUnderTest {
  queue: Queue;
  clock: Clock;
  cleanup: () => Promise<void>;
  /**
   * The shortest duration, in this clock's ms, the backend tells apart; default: any. SQS counts visibility and
   * delays in whole real seconds (Amazon SQS API Reference, ReceiveMessage VisibilityTimeout / SendMessage
   * DelaySeconds), so its queue says `1000 * clock.speed` and the steps below widen to it.
   */
  resolutionMs?: number;
}

/**
 * The expectations every Queue implementation meets. `make` gives a fresh, empty queue with the given maxAttempts and
 * a clock; durations below are in that clock's milliseconds, scaled to its speed so they stay a few real ms apart.
 */
export function queueContract(name: string, make: (options: { maxAttempts: number }) => Promise<QueueUnderTest>): void {
  describe(`${name} queue (contract)`, () => {
    let t: QueueUnderTest;
    /** About 100 real milliseconds of this clock (or the backend's resolution, if coarser): wide enough that a busy
     * 2-core machine keeps the order of events. */
    let tick: number;
    /** Longer than any test runs. */
    let long: number;
    const maxAttempts = 3;
    beforeEach(async () => {
      t = await make({ maxAttempts });
      tick = Math.max(100, t.clock.speed * 100, t.resolutionMs ?? 0);
      long = Math.max(3_600_000, t.clock.speed * 120_000);
    });
    afterEach(async () => {
      await t.cleanup();
    });
    const after = (ms: number) => t.clock.sleep(ms);

    it("delivers an item with its kind and JSON payload, then forgets it once acked", async () => {
      await t.queue.enqueue({ key: "job:1", kind: "reconcile", payload: { jobId: 1, why: ["webhook", null], n: 1.5 } });
      expect(await t.queue.depth()).toEqual({ pending: 1, inFlight: 0, dead: 0 });
      const [item, ...rest] = await t.queue.receive(10, long);
      expect(rest).toEqual([]);
      expect(item).toMatchObject({ key: "job:1", kind: "reconcile", attempts: 1, payload: { jobId: 1, why: ["webhook", null], n: 1.5 } });
      expect(await t.queue.depth()).toEqual({ pending: 0, inFlight: 1, dead: 0 });
      expect(await t.queue.receive(10, long)).toEqual([]);
      await t.queue.ack(item!.receiptHandle);
      expect(await t.queue.depth()).toEqual({ pending: 0, inFlight: 0, dead: 0 });
      await t.queue.enqueue({ key: "job:2", kind: "sweep" });
      expect((await t.queue.receive(1, long))[0]?.payload).toBeNull();
    });

    it("coalesces a pending key into one item with the earlier visibility and the newer payload", async () => {
      await t.queue.enqueue({ key: "job:1", kind: "reconcile", payload: 1, delayMs: long });
      await t.queue.enqueue({ key: "job:1", kind: "reconcile", payload: 2 });
      await t.queue.enqueue({ key: "job:1", kind: "reconcile", payload: 3, delayMs: long });
      expect(await t.queue.depth()).toEqual({ pending: 1, inFlight: 0, dead: 0 });
      const items = await t.queue.receive(10, long);
      expect(items.map((i) => i.payload)).toEqual([3]);
      expect(await t.queue.receive(10, long)).toEqual([]);
    });

    it("keeps a new pending item for a key that is in flight, delivered after the first is acked", async () => {
      await t.queue.enqueue({ key: "job:1", kind: "reconcile", payload: "first" });
      const [first] = await t.queue.receive(1, long);
      await t.queue.enqueue({ key: "job:1", kind: "reconcile", payload: "second" });
      await t.queue.enqueue({ key: "job:1", kind: "reconcile", payload: "third" });
      expect(await t.queue.depth()).toEqual({ pending: 1, inFlight: 1, dead: 0 });
      await t.queue.ack(first!.receiptHandle);
      const [next] = await t.queue.receive(1, long);
      expect(next).toMatchObject({ key: "job:1", payload: "third", attempts: 1 });
      expect(next!.id).not.toBe(first!.id);
    });

    it("hands out items in order of visibility time, and none before it", async () => {
      await t.queue.enqueue({ key: "c", kind: "k", delayMs: 4 * tick });
      await t.queue.enqueue({ key: "a", kind: "k" });
      await t.queue.enqueue({ key: "b", kind: "k", delayMs: 2 * tick });
      await t.queue.enqueue({ key: "later", kind: "k", delayMs: long });
      await after(6 * tick);
      expect((await t.queue.receive(10, long)).map((i) => i.key)).toEqual(["a", "b", "c"]);
      expect(await t.queue.depth()).toEqual({ pending: 1, inFlight: 3, dead: 0 });
    });

    it("never leases one item to two concurrent receivers", async () => {
      for (let i = 0; i < 5; i++) await t.queue.enqueue({ key: `job:${i}`, kind: "reconcile" });
      const batches = await Promise.all(Array.from({ length: 8 }, () => t.queue.receive(2, long)));
      const ids = batches.flat().map((i) => i.id);
      expect(ids).toHaveLength(5);
      expect(new Set(ids).size).toBe(5);
    });

    it("delivers an unacked item again after its visibility timeout, counting attempts", async () => {
      await t.queue.enqueue({ key: "job:1", kind: "reconcile" });
      const [first] = await t.queue.receive(1, tick);
      await after(3 * tick);
      const [second] = await t.queue.receive(1, long);
      expect(second).toMatchObject({ id: first!.id, attempts: 2 });
      expect(second!.receiptHandle).not.toBe(first!.receiptHandle);
    });

    it("ignores a stale receipt once the item was received again", async () => {
      await t.queue.enqueue({ key: "job:1", kind: "reconcile" });
      const [first] = await t.queue.receive(1, tick);
      await after(3 * tick);
      const [second] = await t.queue.receive(1, long);
      await t.queue.ack(first!.receiptHandle);
      expect(await t.queue.release(first!.receiptHandle)).toBe(false);
      expect(await t.queue.extend(first!.receiptHandle, long)).toBe(false);
      expect(await t.queue.depth()).toEqual({ pending: 0, inFlight: 1, dead: 0 });
      await t.queue.ack(second!.receiptHandle);
      expect(await t.queue.depth()).toEqual({ pending: 0, inFlight: 0, dead: 0 });
    });

    it("keeps an extended lease past its first timeout", async () => {
      await t.queue.enqueue({ key: "job:1", kind: "reconcile" });
      const [item] = await t.queue.receive(1, 2 * tick);
      expect(await t.queue.extend(item!.receiptHandle, long)).toBe(true);
      await after(4 * tick);
      expect(await t.queue.receive(1, long)).toEqual([]);
      expect(await t.queue.depth()).toEqual({ pending: 0, inFlight: 1, dead: 0 });
    });

    it("releases an item back with a delay, after which it is received again", async () => {
      await t.queue.enqueue({ key: "job:1", kind: "reconcile", payload: { n: 1 } });
      const [item] = await t.queue.receive(1, long);
      expect(await t.queue.release(item!.receiptHandle, long)).toBe(true);
      expect(await t.queue.receive(1, long)).toEqual([]);
      // (Whether a released, delayed item counts as pending or in flight is the backend's: SQS reports it not visible.)
      expect((await t.queue.depth()).dead).toBe(0);

      await t.queue.enqueue({ key: "job:2", kind: "reconcile" });
      const [other] = await t.queue.receive(1, long);
      expect(other?.key).toBe("job:2");
      expect(await t.queue.release(other!.receiptHandle, 3 * tick)).toBe(true);
      expect(await t.queue.receive(1, long)).toEqual([]);
      await after(5 * tick);
      expect(await t.queue.receive(1, long)).toMatchObject([{ key: "job:2", attempts: 2 }]);
    });

    it("moves an item received maxAttempts times to the dead letters, and redrives it", async () => {
      await t.queue.enqueue({ key: "job:poison", kind: "reconcile", payload: "p" });
      await t.queue.enqueue({ key: "job:fine", kind: "reconcile" });
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const items = await t.queue.receive(10, tick);
        const poison = items.find((i) => i.key === "job:poison");
        expect(poison?.attempts).toBe(attempt);
        for (const i of items) if (i.key === "job:fine") await t.queue.ack(i.receiptHandle);
        await after(3 * tick);
      }
      expect(await t.queue.receive(10, long)).toEqual([]);
      const dead = await t.queue.deadLetters();
      expect(dead).toMatchObject([{ key: "job:poison", kind: "reconcile", payload: "p", attempts: maxAttempts }]);
      expect(await t.queue.depth()).toEqual({ pending: 0, inFlight: 0, dead: 1 });

      expect(await t.queue.redrive(dead[0]!.id)).toBe(true);
      expect(await t.queue.redrive(dead[0]!.id)).toBe(false);
      expect(await t.queue.deadLetters()).toEqual([]);
      expect(await t.queue.receive(1, long)).toMatchObject([{ key: "job:poison", attempts: 1 }]);
    });

    it("counts releases toward maxAttempts, as SQS counts every receive", async () => {
      await t.queue.enqueue({ key: "job:1", kind: "reconcile" });
      for (let attempt = 1; attempt <= maxAttempts; attempt++) {
        const [item] = await t.queue.receive(1, long);
        expect(item?.attempts).toBe(attempt);
        await t.queue.release(item!.receiptHandle, 0);
      }
      expect(await t.queue.receive(1, long)).toEqual([]);
      expect((await t.queue.deadLetters()).map((d) => d.key)).toEqual(["job:1"]);
    });
  });
}
