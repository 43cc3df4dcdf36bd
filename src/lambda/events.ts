/**
 * Events function on EventBridge: AWS tells us a runner's task or build changed state, so no one polls per job.
 * The event names only the task ARN or build id; the launch is found through the store (findLaunchByProviderId),
 * updated as the tracker would (controller/tracker.ts patchFor), and its job gets a look (reconcile).
 *
 * Shapes: "ECS Task State Change" carries the task as DescribeTasks describes it ("Amazon ECS task state change
 * events", https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html); "CodeBuild Build State
 * Change" carries `build-id` (the build's ARN), `build-status` and `current-phase` ("Build notifications input format
 * reference", https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html).
 */
import { z } from "zod";
import { patchFor } from "../controller/tracker.js";
import { reconcileItem } from "../controller/work-items.js";
import type { LaunchHandle, LaunchState } from "../providers/provider.js";
import { ecsStatus, SPOT_STOP_CODE } from "../providers/ecs.js";
import { VersionConflict } from "../store/store.js";
import { services, type LambdaServices } from "./wiring.js";

const time = z.string().transform((s) => Date.parse(s)).pipe(z.number().finite());

const EcsTaskStateChange = z.object({
  "detail-type": z.literal("ECS Task State Change"),
  source: z.literal("aws.ecs"),
  detail: z.object({
    taskArn: z.string().min(1),
    lastStatus: z.string(),
    stopCode: z.string().optional(),
    stoppedReason: z.string().optional(),
    startedAt: time.optional(),
    stoppedAt: time.optional(),
    containers: z.array(z.object({ name: z.string().optional(), exitCode: z.number().optional() })).default([]),
  }),
});

const CodeBuildStateChange = z.object({
  "detail-type": z.literal("CodeBuild Build State Change"),
  source: z.literal("aws.codebuild"),
  time: time.optional(),
  detail: z.object({
    "build-id": z.string().min(1),
    "build-status": z.string(),
    "current-phase": z.string().optional(),
  }),
});

export type EventBridgeEvent = { readonly "detail-type"?: unknown; readonly source?: unknown; readonly detail?: unknown };
export type EventsResult = { outcome: "updated" | "unchanged" | "not-ours" | "ignored"; jobId?: number };

/** The runner container's name in the task definition (config aws.containerName). */
function ecsState(e: z.infer<typeof EcsTaskStateChange>, containerName: string): LaunchState {
  const d = e.detail;
  const handle: LaunchHandle = { backend: "FARGATE", id: d.taskArn };
  const status = ecsStatus(d.lastStatus);
  const spotInterrupted = d.stopCode === SPOT_STOP_CODE;
  const runner = d.containers.find((c) => c.name === containerName) ?? d.containers[0];
  return {
    handle,
    status,
    spotInterrupted,
    ...(status === "stopped" ? { succeeded: !spotInterrupted && runner?.exitCode === 0 } : {}),
    ...(d.stoppedReason ? { reason: d.stoppedReason } : {}),
    ...(d.startedAt !== undefined ? { startedAt: d.startedAt } : {}),
    ...(d.stoppedAt !== undefined ? { stoppedAt: d.stoppedAt } : {}),
  };
}

function codeBuildState(e: z.infer<typeof CodeBuildStateChange>): LaunchState {
  // StartBuild's build id ("project:uuid") is what tornade stored; the event gives the build's ARN around it.
  const arn = e.detail["build-id"];
  const id = arn.includes(":build/") ? arn.slice(arn.indexOf(":build/") + ":build/".length) : arn;
  const status = e.detail["build-status"];
  const handle: LaunchHandle = { backend: "CODEBUILD", id };
  if (status === "IN_PROGRESS") return { handle, status: "running", spotInterrupted: false };
  return {
    handle,
    status: "stopped",
    succeeded: status === "SUCCEEDED",
    spotInterrupted: false,
    reason: `build ${status}${e.detail["current-phase"] ? ` in ${e.detail["current-phase"]}` : ""}`,
    ...(e.time !== undefined ? { stoppedAt: e.time } : {}),
  };
}

export function eventsHandler(s: LambdaServices): (event: EventBridgeEvent) => Promise<EventsResult> {
  const { store, queue } = s.built;
  return async (event) => {
    const ecs = EcsTaskStateChange.safeParse(event);
    const build = ecs.success ? undefined : CodeBuildStateChange.safeParse(event);
    const state = ecs.success ? ecsState(ecs.data, s.config.aws.containerName) : build?.success ? codeBuildState(build.data) : undefined;
    if (!state) {
      s.logger.warn({ detailType: String(event["detail-type"]), source: String(event.source) }, "event ignored: not an ECS task or CodeBuild build state change");
      return { outcome: "ignored" };
    }
    for (let tries = 0; tries < 3; tries++) {
      const launch = await store.findLaunchByProviderId(state.handle.id);
      // Tasks and builds tornade did not start (or whose launch row is gone) share the cluster or the project.
      if (!launch) return { outcome: "not-ours" };
      const patch = patchFor(launch, state);
      if (!patch) return { outcome: "unchanged", jobId: launch.jobId };
      try {
        await store.updateLaunch(launch.id, launch.version, patch);
      } catch (e) {
        if (e instanceof VersionConflict) continue;
        throw e;
      }
      await queue.enqueue(reconcileItem(launch.jobId));
      s.logger.info({ jobId: launch.jobId, attempt: launch.attempt, providerId: state.handle.id, state: patch.state, reason: state.reason }, "runner state changed");
      return { outcome: "updated", jobId: launch.jobId };
    }
    // Others kept changing the row; the next sweep's tracker round reads the provider again.
    return { outcome: "unchanged" };
  };
}

export const handler = async (event: EventBridgeEvent): Promise<EventsResult> => eventsHandler(await services())(event);
