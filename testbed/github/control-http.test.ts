import { afterAll, beforeAll, expect, it } from "vitest";
import { scaledClock } from "../../src/clock/clock.js";
import { startCheckedSim, startReceiver, type CheckedSim, type Receiver } from "./test-support.js";

let s: CheckedSim;
let rx: Receiver;
beforeAll(async () => {
  s = await startCheckedSim({ clock: scaledClock(600) });
  rx = await startReceiver(s.sim.webhookSecret);
});
afterAll(async () => {
  await s.sim.close();
  await rx.close();
});

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(s.sim.url + path, { method, headers: { "content-type": "application/json" }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : undefined };
};

it("drives the sim over HTTP: webhook URL, runs, delayed deliveries, stats and input errors", async () => {
  expect((await call("PUT", "/_control/webhook", { url: rx.url })).status).toBe(200);
  expect((await call("POST", "/_control/faults", { kind: "delay", ms: 30_000, match: { jobName: "late" } })).status).toBe(201);
  const created = await call("POST", "/_control/runs", { jobs: [{ name: "late", labels: ["nobody"], durationSeconds: 5 }, { name: "early", labels: ["nobody"], durationSeconds: 5 }] });
  expect(created.status).toBe(201);
  const run = created.json as { id: number; jobs: { id: number; status: string }[] };
  expect(run.jobs.map((j) => j.status)).toEqual(["queued", "queued"]);
  await call("GET", "/_control/deliveries/idle");
  const names = rx.received.filter((r) => r.event === "workflow_job").map((r) => (r.payload["workflow_job"] as { name: string }).name);
  // The delayed `late` delivery arrives after `early` although it was queued first.
  expect(names).toEqual(["early", "late"]);
  expect(rx.received[0]?.event).toBe("ping");
  const bad = await call("POST", "/_control/runs", { jobs: [{ name: "x", labels: [] }] });
  expect(bad.status).toBe(422);
  const job = await call("GET", `/_control/jobs/${run.jobs[0]?.id}`);
  expect((job.json as { name: string }).name).toBe("late");
  expect((await call("POST", `/_control/runs/${run.id}/cancel`)).json).toEqual({ cancelled: true });
  const stats = (await call("GET", "/_control/stats")).json as { requests: Record<string, number> };
  expect(Object.keys(stats.requests).some((k) => k.startsWith("POST /_control"))).toBe(false);
});
