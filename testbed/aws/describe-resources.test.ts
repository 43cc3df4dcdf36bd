// DescribeClusters and BatchGetProjects through the real SDK clients: what `tornade check` asks to prove the AWS side.
import { BatchGetProjectsCommand } from "@aws-sdk/client-codebuild";
import { DescribeClustersCommand } from "@aws-sdk/client-ecs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBed, type Bed } from "./test-helpers.js";

let bed: Bed;
beforeAll(async () => {
  bed = await startBed();
});
afterAll(async () => {
  await bed?.sim.close();
});

describe("ECS DescribeClusters", () => {
  it("describes a cluster by name and by ARN, and reports an unknown one as MISSING in failures", async () => {
    const byName = await bed.ecs().send(new DescribeClustersCommand({ clusters: [bed.sim.cluster, "nope"] }));
    expect(byName.clusters).toHaveLength(1);
    const c = byName.clusters?.[0];
    expect(c).toMatchObject({ clusterName: bed.sim.cluster, status: "ACTIVE" });
    expect(c?.capacityProviders).toEqual(["FARGATE", "FARGATE_SPOT"]);
    expect(byName.failures).toEqual([{ arn: `arn:aws:ecs:${bed.sim.region}:123456789012:cluster/nope`, reason: "MISSING" }]);
    const byArn = await bed.ecs().send(new DescribeClustersCommand({ clusters: [c?.clusterArn ?? ""] }));
    expect(byArn.clusters?.[0]?.clusterName).toBe(bed.sim.cluster);
  });

  it('looks for "default" when no cluster is named (the fixture has none)', async () => {
    const r = await bed.ecs().send(new DescribeClustersCommand({}));
    expect(r.clusters).toEqual([]);
    expect(r.failures?.[0]?.reason).toBe("MISSING");
  });

  it("refuses more than 100 clusters", async () => {
    const many = Array.from({ length: 101 }, (_, i) => `c${i}`);
    await expect(bed.ecs().send(new DescribeClustersCommand({ clusters: many }))).rejects.toMatchObject({ name: "InvalidParameterException" });
  });
});

describe("CodeBuild BatchGetProjects", () => {
  it("returns known projects with their environment and lists unknown names", async () => {
    const r = await bed.codebuild().send(new BatchGetProjectsCommand({ names: [bed.sim.codebuildProject, "missing-project"] }));
    expect(r.projects?.map((p) => p.name)).toEqual([bed.sim.codebuildProject]);
    expect(r.projects?.[0]?.environment).toMatchObject({ type: "LINUX_CONTAINER", computeType: "BUILD_GENERAL1_SMALL" });
    expect(r.projectsNotFound).toEqual(["missing-project"]);
  });

  it("refuses an empty list, as the model requires names", async () => {
    await expect(bed.codebuild().send(new BatchGetProjectsCommand({ names: [] }))).rejects.toMatchObject({ name: "InvalidInputException" });
  });

  it("answers in AWS's output model", () => {
    expect(bed.outputProblems()).toEqual([]);
  });
});
