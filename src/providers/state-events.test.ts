/**
 * Each provider reads its EventBridge state change events with the mapping its describe uses: the events below are
 * shaped as AWS documents them ("Amazon ECS task state change events", "Build notifications input format reference").
 * Reading an event calls no AWS API, so the clients point at a closed local port.
 */
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { ECSClient } from "@aws-sdk/client-ecs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { describe, expect, it } from "vitest";
import { CodeBuildProvider } from "./codebuild.js";
import { EcsProvider } from "./ecs.js";
import { SsmJitHandoff } from "./jit-handoff.js";

const nowhere = { region: "us-east-1", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "AKIDNONE", secretAccessKey: "none" } };
const handoff = new SsmJitHandoff({ client: new SSMClient(nowhere), prefix: "/tornade/jit/", kmsKeyId: "alias/none", bootTimeoutMs: 600_000, now: () => 0 });
const ecs = new EcsProvider({
  client: new ECSClient(nowhere),
  cluster: "tornade",
  taskDefinitions: { X86_64: "tornade-runner:1" },
  subnets: ["subnet-1"],
  securityGroups: [],
  handoff,
});
const codebuild = new CodeBuildProvider({ client: new CodeBuildClient(nowhere), projects: { X86_64: "tornade-runner" }, handoff });

const TASK = "arn:aws:ecs:us-east-1:111122223333:task/tornade/0123456789abcdef";

function taskEvent(detail: Record<string, unknown>) {
  return {
    version: "0",
    "detail-type": "ECS Task State Change",
    source: "aws.ecs",
    time: "2026-12-05T12:00:00Z",
    detail: { taskArn: TASK, clusterArn: "arn:aws:ecs:us-east-1:111122223333:cluster/tornade", launchType: "FARGATE", ...detail },
  };
}

function buildEvent(status: string, phase: string, complete: boolean) {
  return {
    version: "0",
    "detail-type": "CodeBuild Build State Change",
    source: "aws.codebuild",
    time: "2026-12-05T12:00:00Z",
    detail: {
      "build-status": status,
      "project-name": "tornade-runner",
      "build-id": "arn:aws:codebuild:us-east-1:123456789012:build/tornade-runner:6f1d2c3b",
      "additional-information": { "build-complete": complete },
      "current-phase": phase,
    },
  };
}

describe("EcsProvider.takeEvent", () => {
  it("keeps a Spot task's backend and reads its interruption", async () => {
    const state = await ecs.takeEvent(
      taskEvent({
        capacityProviderName: "FARGATE_SPOT",
        lastStatus: "STOPPED",
        stopCode: "SpotInterruption",
        stoppedReason: "Your Spot Task was interrupted.",
        startedAt: "2026-12-05T11:58:00Z",
        stoppedAt: "2026-12-05T12:00:00Z",
        containers: [{ name: "runner", exitCode: 143 }],
      }),
    );
    expect(state).toEqual({
      handle: { backend: "FARGATE_SPOT", id: TASK },
      status: "stopped",
      spotInterrupted: true,
      succeeded: false,
      reason: "Your Spot Task was interrupted.",
      startedAt: Date.parse("2026-12-05T11:58:00Z"),
      stoppedAt: Date.parse("2026-12-05T12:00:00Z"),
    });
  });

  it("reads an on-demand task as FARGATE, and its runner container's exit code as success", async () => {
    expect(await ecs.takeEvent(taskEvent({ capacityProviderName: "FARGATE", lastStatus: "RUNNING", containers: [{ name: "runner" }] }))).toMatchObject({
      handle: { backend: "FARGATE", id: TASK },
      status: "running",
      spotInterrupted: false,
    });
    const done = await ecs.takeEvent(taskEvent({ lastStatus: "STOPPED", stopCode: "EssentialContainerExited", containers: [{ name: "sidecar", exitCode: 1 }, { name: "runner", exitCode: 0 }] }));
    expect(done).toMatchObject({ handle: { backend: "FARGATE" }, status: "stopped", succeeded: true, spotInterrupted: false });
  });

  it("still reads the state of an event whose overrides it cannot read (they only name the parameter to clean up)", async () => {
    expect(await ecs.takeEvent(taskEvent({ lastStatus: "RUNNING", containers: [{ name: "runner" }], overrides: { containerOverrides: "unexpected" } }))).toMatchObject({ status: "running" });
    const odd = buildEvent("IN_PROGRESS", "BUILD", false);
    const withOddEnvironment = { ...odd, detail: { ...odd.detail, "additional-information": { "build-complete": false, environment: { "environment-variables": 42 } } } };
    expect(await codebuild.takeEvent(withOddEnvironment)).toMatchObject({ status: "running" });
  });

  it("reads no other event", async () => {
    expect(await ecs.takeEvent(buildEvent("FAILED", "COMPLETED", true))).toBeUndefined();
    expect(await ecs.takeEvent({ "detail-type": "ECS Task State Change", source: "aws.ecs", detail: { lastStatus: "RUNNING" } })).toBeUndefined();
  });
});

describe("CodeBuildProvider.takeEvent", () => {
  it("finds the build by the id StartBuild gave, and reads its phase as describe does", async () => {
    const handle = { backend: "CODEBUILD", id: "tornade-runner:6f1d2c3b" };
    expect(await codebuild.takeEvent(buildEvent("IN_PROGRESS", "QUEUED", false))).toMatchObject({ handle, status: "pending" });
    expect(await codebuild.takeEvent(buildEvent("IN_PROGRESS", "BUILD", false))).toMatchObject({ handle, status: "running" });
    expect(await codebuild.takeEvent(buildEvent("FAILED", "COMPLETED", true))).toMatchObject({
      handle,
      status: "stopped",
      succeeded: false,
      spotInterrupted: false,
      stoppedAt: Date.parse("2026-12-05T12:00:00Z"),
    });
  });

  it("reads no other event", async () => {
    expect(await codebuild.takeEvent(taskEvent({ lastStatus: "RUNNING" }))).toBeUndefined();
  });
});
