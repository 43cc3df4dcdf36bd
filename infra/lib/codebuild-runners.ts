/**
 * The CodeBuild side: one project per CPU architecture, for jobs that need Docker (Fargate cannot run it). Privileged
 * mode lets the build start dockerd (runner-image/start-dockerd.sh); the buildspec comes from runner-image/. The
 * controller's StartBuild overrides compute type and environment per job (src/providers/codebuild.ts).
 *
 * A build's service role is its job's credentials (CodeBuild serves them inside the build), so each project has its
 * own role holding only: pulling the runner image from its own repository (runner-image.ts), and writing streams of
 * the project's own log group. Nothing else is granted (codebuild-role.ts keeps aws-cdk-lib's default grants off).
 */
import { readFileSync } from "node:fs";
import { aws_codebuild as codebuild, aws_iam as iam, aws_logs as logs, Duration, RemovalPolicy } from "aws-cdk-lib";
import { Construct } from "constructs";
import { grantBuildLogs, projectRole } from "./codebuild-role.js";
import { runnerBuildspecFile } from "./tornade-package.js";
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
  return new InlineBuildSpec(readFileSync(runnerBuildspecFile(), "utf8"));
}

export interface CodeBuildRunnersProps {
  readonly images: RunnerImages;
  /** Longest job a CodeBuild runner may run. Default 6 hours (GitHub-hosted runners' job limit); CodeBuild allows 36. */
  readonly timeout?: Duration;
  readonly computeType?: codebuild.ComputeType;
  /**
   * Privileged mode, which Docker in the build needs (and so the jobs CodeBuild is there for). Default true. Without
   * it the build does not start dockerd (TORNADE_DOCKER=false) and a job's `docker` commands fail; a job also cannot
   * reach the host's kernel facilities that privileged mode opens.
   */
  readonly privileged?: boolean;
  readonly logRetention: logs.RetentionDays;
}

export class CodeBuildRunners extends Construct {
  readonly projects: Record<Arch, codebuild.Project>;
  /** Each project's own log group: one architecture's builds never write into the other's. */
  readonly logGroups: Record<Arch, logs.LogGroup>;
  /**
   * Each project's service role, which the job in a build can use. Grant runner permissions here
   * (`roles.X86_64.addToPolicy(…)`): the project itself holds an immutable view of it, so grants made through the
   * project (`project.addToRolePolicy`, `grantX(project)`) are dropped (codebuild-role.ts).
   */
  readonly roles: Record<Arch, iam.Role>;

  constructor(scope: Construct, id: string, props: CodeBuildRunnersProps) {
    super(scope, id);
    const privileged = props.privileged ?? true;
    const make = (arch: Arch) => {
      const logGroup = new logs.LogGroup(this, `Logs${arch}`, { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
      const { role, forProject } = projectRole(this, `Role${arch}`, `tornade CodeBuild runners (${arch}); a job in the build can use this role`);
      const image = props.images.codebuild(arch);
      image.repository.grantPull(role);
      grantBuildLogs(role, logGroup);
      const project = new codebuild.Project(this, `Runner${arch}`, {
        description: `tornade: one ephemeral GitHub Actions runner per build (${arch})`,
        role: forProject,
        buildSpec: runnerBuildSpec(),
        environment: {
          buildImage: image.image,
          computeType: props.computeType ?? codebuild.ComputeType.SMALL,
          privileged,
          // runner-image/buildspec.yml starts dockerd only when it may (privileged mode).
          environmentVariables: { TORNADE_DOCKER: { value: String(privileged) } },
        },
        timeout: props.timeout ?? Duration.hours(6),
        // A build waits in CodeBuild's queue at most this long; the controller sees a timed-out build and relaunches.
        queuedTimeout: Duration.minutes(30),
        logging: { cloudWatch: { logGroup } },
      });
      if (image.ready) project.node.addDependency(image.ready);
      return { project, logGroup, role };
    };
    const x86 = make("X86_64");
    const arm = make("ARM64");
    this.projects = { X86_64: x86.project, ARM64: arm.project };
    this.logGroups = { X86_64: x86.logGroup, ARM64: arm.logGroup };
    this.roles = { X86_64: x86.role, ARM64: arm.role };
  }
}
