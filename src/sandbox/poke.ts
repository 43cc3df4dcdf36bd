/**
 * A delivery for a person to post to the sandbox by hand (the banner's curl line). The simulated GitHub queues a real
 * job in a repository of its own and holds back its `queued` webhook; the body GitHub would have sent is written to a
 * file instead. Posted, it is taken in like any delivery: tornade launches a runner, the runner takes the job, and the
 * job's later webhooks arrive as usual, so the whole life of one job follows a hand-made post. Edit the labels to see
 * another decision (`arch=sparc` is rejected with a check run on the job's commit).
 *
 * Why a real job rather than a made-up body: GitHub has to know the job for the runner to get it, and tornade asks
 * GitHub about jobs whose webhooks seem lost; a job GitHub never had would only leave an idle runner behind.
 * Why its own repository: the sweeper lists queued jobs of repositories tornade has recently heard from, and would
 * otherwise take the job in before anyone posts it.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Sandbox } from "./sandbox.js";
import { RUN_ID_PLACEHOLDER } from "./scenario.js";

export const POKE_REPO = "poke";
export const POKE_JOB = "poked-by-hand";

export interface PokeDelivery {
  readonly jobId: number;
  /** The delivery's body, formatted for editing. */
  readonly path: string;
  remove(): Promise<void>;
}

export async function preparePoke(sandbox: Pick<Sandbox, "bed">): Promise<PokeDelivery> {
  const gh = sandbox.bed.github.control;
  // Only `queued` is held back: in_progress and completed reach tornade as GitHub sends them.
  gh.dropDeliveries({ jobName: POKE_JOB, action: "queued" }, { record: false });
  const run = gh.createRun({
    repo: POKE_REPO,
    workflowName: "by hand",
    // The run id label keeps the seed's runners (whose labels would otherwise cover these) off this job.
    jobs: [{ name: POKE_JOB, labels: ["self-hosted", "tornade", RUN_ID_PLACEHOLDER, "runs-on=FARGATE", "arch=ARM64"], durationSeconds: 120 }],
  });
  const jobId = Number(run.jobs[0]?.id);
  const body = gh.workflowJobPayload(jobId, "queued");
  if (!body) throw new Error(`the simulated GitHub lost job ${jobId} it just queued`);
  const dir = await mkdtemp(join(tmpdir(), "tornade-sandbox-"));
  const path = join(dir, "delivery.json");
  await writeFile(path, `${JSON.stringify(body, null, 2)}\n`);
  return { jobId, path, remove: () => rm(dir, { recursive: true, force: true }) };
}
