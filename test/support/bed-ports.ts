/**
 * Test support: the ports tornade's controller drives, built against a test bed as `tornade serve` builds them — the
 * real OctokitGitHub (as the App), the real ECS and CodeBuild providers over HTTP, and the SSM JIT handoff they share.
 * For tests that assemble controller parts (a Launcher, a PoolManager, a StandbyManager) by hand.
 */
import { CodeBuildClient } from "@aws-sdk/client-codebuild";
import { ECSClient } from "@aws-sdk/client-ecs";
import type { Backend } from "../../src/core/types.js";
import { createGitHubClients } from "../../src/github/auth.js";
import { OctokitGitHub } from "../../src/github/octokit-github.js";
import { CodeBuildProvider } from "../../src/providers/codebuild.js";
import { EcsProvider } from "../../src/providers/ecs.js";
import type { SsmJitHandoff } from "../../src/providers/jit-handoff.js";
import type { Provider } from "../../src/providers/provider.js";
import type { TestBed } from "../../testbed/index.js";
import { simHandoff } from "./sim-handoff.js";

export interface BedPorts {
  readonly github: OctokitGitHub;
  readonly providers: Map<Backend, Provider>;
  readonly handoff: SsmJitHandoff;
}

export function bedPorts(bed: TestBed): BedPorts {
  const d = bed.description();
  const github = new OctokitGitHub(
    createGitHubClients({ auth: { kind: "app", appId: d.github.appId, privateKeyPem: bed.github.privateKeyPem }, baseUrl: d.github.url, clock: bed.clock }),
    { clock: bed.clock },
  );
  const aws = { endpoint: d.aws.endpoint, region: d.aws.region, credentials: { accessKeyId: "AKIDTESTBED", secretAccessKey: "testbed" } };
  const handoff = simHandoff(d.aws, bed.clock);
  const ecs = new EcsProvider({ client: new ECSClient(aws), cluster: d.aws.cluster, taskDefinitions: d.aws.taskDefinitions, subnets: d.aws.subnets, handoff });
  const codebuild = new CodeBuildProvider({ client: new CodeBuildClient(aws), projects: { X86_64: d.aws.codebuildProject, ARM64: d.aws.codebuildProject }, handoff });
  const providers = new Map<Backend, Provider>([
    ["FARGATE", ecs],
    ["FARGATE_SPOT", ecs],
    ["CODEBUILD", codebuild],
  ]);
  return { github, providers, handoff };
}
