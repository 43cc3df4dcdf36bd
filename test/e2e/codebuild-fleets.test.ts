/**
 * CodeBuild reserved-capacity fleets end to end (docs/standby.md, "CodeBuild fleets"): `tornade serve` configured with
 * two fleets of one instance each on the test bed — one whose overflow queues, one whose overflow runs on demand.
 * A job labelled fleet=NAME gets a build on that fleet (StartBuild fleetOverride); a second one while the instance is
 * busy waits for it (QUEUE) or boots cold on on-demand capacity (ON_DEMAND); every job completes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { BuildSummary } from "../../testbed/aws/control.js";
import { until } from "../../testbed/until.js";
import { startBedTornade, type BedTornade } from "../support/bed-tornade.js";

let t: BedTornade;
const labels = (fleet: string) => ["self-hosted", "tornade", "runs-on=CODEBUILD", `fleet=${fleet}`];

beforeAll(async () => {
  t = await startBedTornade({
    speed: 60,
    env: (bed) => {
      const queue = bed.aws.control.createFleet({ name: "queued", baseCapacity: 1, overflowBehavior: "QUEUE" });
      const spill = bed.aws.control.createFleet({ name: "spill", baseCapacity: 1, overflowBehavior: "ON_DEMAND" });
      return { TORNADE_CODEBUILD_FLEETS: `queued=${queue.arn},spill=${spill.arn}` };
    },
  });
}, 60_000);

afterAll(async () => {
  await t?.close();
});

/** Queues two jobs on `fleet` and waits for both to complete; their builds, in the order the jobs were queued. */
async function twoJobsOn(fleet: string): Promise<BuildSummary[]> {
  const run = t.bed.github.control.createRun({ jobs: [{ name: "a", labels: labels(fleet), durationSeconds: 60 }, { name: "b", labels: labels(fleet), durationSeconds: 60 }] });
  const ids = run.jobs.map((j) => String(j.id));
  for (const id of ids) {
    const job = await until(`job ${id} to complete`, () => {
      const j = t.bed.github.control.getJob(Number(id));
      return j?.status === "completed" && j;
    }, 30_000);
    expect(job.conclusion).toBe("success");
  }
  return ids.map((id) => {
    const build = t.bed.aws.control.listBuilds().find((b) => b.env["TORNADE_JOB_ID"] === id);
    if (!build) throw new Error(`no build for job ${id}`);
    return build;
  });
}

describe("jobs on CodeBuild reserved-capacity fleets", () => {
  it("QUEUE: both builds run on the fleet's one instance, the second after the first", async () => {
    const builds = await twoJobsOn("queued");
    for (const b of builds) expect(b.fleet).toMatchObject({ name: "queued", onInstance: true });
    for (const b of builds) expect(b.boot).toMatchObject({ provisioningMs: 0, pullMs: 0 });
    const [first, second] = [...builds].sort((x, y) => (x.endTime ?? 0) - (y.endTime ?? 0));
    // The second waited for the instance: its 60-second job began only once the first build had ended.
    expect((second?.endTime ?? 0) - (first?.endTime ?? 0)).toBeGreaterThanOrEqual(60_000);
  });

  it("ON_DEMAND: one build runs on the instance, the other on on-demand capacity with a cold boot", async () => {
    const builds = await twoJobsOn("spill");
    expect(builds.map((b) => b.fleet?.onInstance).sort()).toEqual([false, true]);
    const onDemand = builds.find((b) => b.fleet?.onInstance === false);
    expect(onDemand?.boot.provisioningMs).toBeGreaterThan(0);
  });
});
