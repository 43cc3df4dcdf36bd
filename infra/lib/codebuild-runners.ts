/**
 * The CodeBuild side: one project per CPU architecture, for jobs that need Docker (Fargate cannot run it). Privileged
 * mode lets the build start dockerd (runner-image/start-dockerd.sh); the buildspec comes from runner-image/. The
 * controller's StartBuild overrides compute type and environment per job (src/providers/codebuild.ts).
 */
import { readFileSync } from "node:fs";
import { aws_codebuild as codebuild, aws_logs as logs, Duration, RemovalPolicy } from "aws-cdk-lib";
import { Construct } from "constructs";
import { RUNNER_BUILDSPEC } from "./paths.js";
import type { Arch, RunnerImages } from "./runner-image.js";

/**
 * runner-image/buildspec.yml, inlined into the project as text. (BuildSpec.fromAsset would upload it to the CDK
 * assets bucket and give every build read access to that bucket; fromObject would need a YAML parser.)
 */
class InlineBuildSpec extends codebuild.BuildSpec {
  readonly isImmediate = true;
  constructor(private readonly text: string) {
    super();
  }
  toBuildSpec(): string {
    return this.text;
  }
}

export function runnerBuildSpec(): codebuild.BuildSpec {
  return new InlineBuildSpec(readFileSync(RUNNER_BUILDSPEC, "utf8"));
}

export interface CodeBuildRunnersProps {
  readonly images: RunnerImages;
  /** Longest job a CodeBuild runner may run. Default 6 hours (GitHub-hosted runners' job limit); CodeBuild allows 36. */
  readonly timeout?: Duration;
  readonly computeType?: codebuild.ComputeType;
  readonly logRetention: logs.RetentionDays;
}

export class CodeBuildRunners extends Construct {
  readonly projects: Record<Arch, codebuild.Project>;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: CodeBuildRunnersProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    const make = (arch: Arch) =>
      new codebuild.Project(this, `Runner${arch}`, {
        description: `tornade: one ephemeral GitHub Actions runner per build (${arch})`,
        buildSpec: runnerBuildSpec(),
        environment: {
          buildImage: props.images.codebuild(arch),
          computeType: props.computeType ?? codebuild.ComputeType.SMALL,
          privileged: true,
        },
        timeout: props.timeout ?? Duration.hours(6),
        // A build waits in CodeBuild's queue at most this long; the controller sees a timed-out build and relaunches.
        queuedTimeout: Duration.minutes(30),
        logging: { cloudWatch: { logGroup: this.logGroup, prefix: arch.toLowerCase() } },
      });
    this.projects = { X86_64: make("X86_64"), ARM64: make("ARM64") };
  }
}
