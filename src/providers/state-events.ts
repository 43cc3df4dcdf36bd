/**
 * EventBridge's state change events, read into the shapes the AWS SDK gives `describe` — so that each provider maps
 * an event to a launch state with the very function that maps its API's answer (EcsProvider.takeEvent,
 * CodeBuildProvider.takeEvent), and an event and a describe call can never disagree.
 *
 * "ECS Task State Change" carries the task as DescribeTasks describes it ("Amazon ECS task state change events",
 * https://docs.aws.amazon.com/AmazonECS/latest/developerguide/ecs_task_events.html); "CodeBuild Build State Change"
 * carries `build-id` (the build's ARN), `build-status` and `current-phase` ("Build notifications input format
 * reference", https://docs.aws.amazon.com/codebuild/latest/userguide/sample-build-notifications.html). Both carry the
 * environment tornade launched the runner with (the task's `overrides`, the build's `additional-information.environment`),
 * which names the runner's JIT parameter: what an event reports stopped unread is deleted (Provider.takeEvent).
 */
import type { Build, EnvironmentVariableType } from "@aws-sdk/client-codebuild";
import type { Task } from "@aws-sdk/client-ecs";
import { z } from "zod";

// An ISO time; z.date() refuses an Invalid Date.
const time = z.string().transform((s) => new Date(s)).pipe(z.date());

/** A name and value of an environment, as both events list them; tornade reads only PLAINTEXT values it set itself. */
const variable = z.object({ name: z.string(), value: z.string().optional() });

const EcsTaskStateChange = z.object({
  "detail-type": z.literal("ECS Task State Change"),
  source: z.literal("aws.ecs"),
  detail: z.object({
    taskArn: z.string().min(1),
    lastStatus: z.string(),
    capacityProviderName: z.string().optional(),
    stopCode: z.string().optional(),
    stoppedReason: z.string().optional(),
    startedAt: time.optional(),
    stoppedAt: time.optional(),
    containers: z.array(z.object({ name: z.string().optional(), exitCode: z.number().optional() })).default([]),
    // Read for the JIT parameter's name only: a shape this does not expect loses that clean-up, never the state change.
    overrides: z.object({ containerOverrides: z.array(z.object({ name: z.string().optional(), environment: z.array(variable).optional() })).default([]) }).optional().catch(undefined),
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
    "additional-information": z
      .object({
        "build-complete": z.boolean().optional(),
        environment: z.object({ "environment-variables": z.array(variable.extend({ type: z.string().optional() })).default([]) }).optional().catch(undefined),
      })
      .optional(),
  }),
});

/** The task an "ECS Task State Change" event describes; undefined for any other event. */
export function taskOfEvent(event: unknown): (Task & { taskArn: string }) | undefined {
  const e = EcsTaskStateChange.safeParse(event);
  if (!e.success) return undefined;
  const d = e.data.detail;
  return {
    taskArn: d.taskArn,
    lastStatus: d.lastStatus,
    ...(d.capacityProviderName ? { capacityProviderName: d.capacityProviderName } : {}),
    ...(d.stopCode ? { stopCode: d.stopCode as Task["stopCode"] } : {}),
    ...(d.stoppedReason ? { stoppedReason: d.stoppedReason } : {}),
    ...(d.startedAt ? { startedAt: d.startedAt } : {}),
    ...(d.stoppedAt ? { stoppedAt: d.stoppedAt } : {}),
    containers: d.containers.map((c) => ({ ...(c.name ? { name: c.name } : {}), ...(c.exitCode !== undefined ? { exitCode: c.exitCode } : {}) })),
    ...(d.overrides ? { overrides: { containerOverrides: d.overrides.containerOverrides.map((c) => ({ ...(c.name ? { name: c.name } : {}), environment: (c.environment ?? []).map(nameAndValue) })) } } : {}),
  };
}

/** The build a "CodeBuild Build State Change" event describes, by the id StartBuild gave; undefined for any other event. */
export function buildOfEvent(event: unknown): (Build & { id: string }) | undefined {
  const e = CodeBuildStateChange.safeParse(event);
  if (!e.success) return undefined;
  const d = e.data.detail;
  // StartBuild's build id ("project:uuid") is what tornade stored; the event gives the build's ARN around it.
  const arn = d["build-id"];
  const id = arn.includes(":build/") ? arn.slice(arn.indexOf(":build/") + ":build/".length) : arn;
  const status = d["build-status"];
  const complete = d["additional-information"]?.["build-complete"];
  const variables = d["additional-information"]?.environment?.["environment-variables"];
  return {
    id,
    buildStatus: status as Build["buildStatus"],
    ...(d["current-phase"] ? { currentPhase: d["current-phase"] } : {}),
    ...(complete !== undefined ? { buildComplete: complete } : {}),
    ...(status !== "IN_PROGRESS" && e.data.time ? { endTime: e.data.time } : {}),
    ...(variables ? { environment: { type: undefined, image: undefined, computeType: undefined, environmentVariables: variables.map((v) => ({ ...nameAndValue(v), ...(v.type ? { type: v.type as EnvironmentVariableType } : {}) })) } } : {}),
  };
}

function nameAndValue(v: z.infer<typeof variable>): { name: string; value: string } {
  return { name: v.name, value: v.value ?? "" };
}
