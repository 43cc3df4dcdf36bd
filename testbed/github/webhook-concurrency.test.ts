/** How many webhook deliveries the simulator has in flight at once: one by default, more when asked (as GitHub). */
import { afterEach, describe, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { startCheckedSim, startReceiver, type CheckedSim, type Receiver } from "./test-support.js";

let s: CheckedSim | undefined;
let rx: Receiver | undefined;
afterEach(async () => {
  await s?.sim.close();
  await rx?.close();
});

async function deliverSix(concurrency: number | undefined): Promise<Receiver> {
  s = await startCheckedSim({ clock: scaledClock(100), ...(concurrency === undefined ? {} : { deliveryConcurrency: concurrency }) });
  rx = await startReceiver(s.sim.webhookSecret);
  rx.holdMs = 100;
  s.sim.control.setWebhookUrl(rx.url);
  await s.sim.control.deliveriesIdle();
  s.sim.control.createRun({ jobs: Array.from({ length: 6 }, (_, i) => ({ name: `job-${i}`, labels: ["self-hosted"], durationSeconds: 60 })) });
  await s.sim.control.deliveriesIdle();
  expect(rx.received.filter((r) => r.event === "workflow_job")).toHaveLength(6);
  expect(s.violations).toEqual([]);
  return rx;
}

describe("webhook delivery concurrency", () => {
  it("delivers one at a time by default", async () => {
    expect((await deliverSix(undefined)).maxInFlight).toBe(1);
  });

  it("overlaps up to deliveryConcurrency deliveries, never more", async () => {
    expect((await deliverSix(3)).maxInFlight).toBe(3);
  });
});
