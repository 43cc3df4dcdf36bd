/**
 * The runner images CodeBuild starts, copied at deploy time into a repository of their own.
 *
 * Why: a CodeBuild build runs with its project's service role, and a job running in the build can use that role's
 * credentials (CodeBuild serves them to the build's container). The CDK builds image assets into the account's one
 * shared container-asset repository (`cdk-…-container-assets-ACCOUNT-REGION`), which holds the images of every CDK
 * app deployed there, and ECR grants access per repository: pulling the runner image from there would let any job
 * read them all. So the runner projects pull only from this construct's repository, and the deploy copies the runner
 * images (built as CDK assets, as for Fargate, whose execution role no job can use) into it.
 *
 * How: a CodeBuild project on CodeBuild's own curated image (privileged, for Docker; it runs no job's code) pulls both
 * asset images and pushes them as `<arch>-<asset hash>`. A custom resource starts it during the deploy, and a
 * CloudFormation wait condition holds the runner projects back until the copy signals: a failed copy signals FAILURE
 * and the deploy rolls back with its reason. Wait conditions cannot be updated ("AWS::CloudFormation::WaitCondition"),
 * so each pair of images gets a new one, named by their hashes; an unchanged image costs no copy.
 */
import { createHash } from "node:crypto";
import {
  aws_codebuild as codebuild,
  aws_ecr as ecr,
  aws_ecr_assets as assets,
  aws_iam as iam,
  aws_logs as logs,
  CfnWaitCondition,
  CfnWaitConditionHandle,
  custom_resources as cr,
  Duration,
  RemovalPolicy,
} from "aws-cdk-lib";
import { Construct, type IDependable } from "constructs";
import { grantBuildLogs, projectRole } from "./codebuild-role.js";
import type { Arch } from "./runner-image.js";

/** Images kept in the runner repository: both architectures of the last ten deploys that changed the image. */
const KEPT_IMAGES = 20;
const PLATFORMS: Record<Arch, string> = { X86_64: "linux/amd64", ARM64: "linux/arm64" };
const ARCHS = Object.keys(PLATFORMS) as Arch[];

export interface RunnerImageCopyProps {
  readonly assets: Record<Arch, assets.DockerImageAsset>;
  readonly logRetention: logs.RetentionDays;
}

export class RunnerImageCopy extends Construct {
  /** The runner images' own repository. */
  readonly repository: ecr.Repository;
  /** Each architecture's tag in it. */
  readonly tags: Record<Arch, string>;
  /** Complete once this deploy's images are in the repository. */
  readonly ready: IDependable;
  readonly project: codebuild.Project;
  /** The copy build's role: pulls the asset images, pushes to the repository. It runs no job. */
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, props: RunnerImageCopyProps) {
    super(scope, id);
    this.repository = new ecr.Repository(this, "Repository", {
      imageScanOnPush: true,
      lifecycleRules: [{ description: "the images of the last ten image changes", maxImageCount: KEPT_IMAGES }],
      // Emptying it on deletion would take one more Lambda function; delete it by hand (docs/deploy-aws.md).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.tags = { X86_64: `x86_64-${props.assets.X86_64.assetHash}`, ARM64: `arm64-${props.assets.ARM64.assetHash}` };

    const { role, forProject } = projectRole(this, "Role", "tornade: copies the runner images into their repository at deploy time");
    this.role = role;
    const logGroup = new logs.LogGroup(this, "Logs", { retention: props.logRetention, removalPolicy: RemovalPolicy.DESTROY });
    grantBuildLogs(role, logGroup);
    for (const arch of ARCHS) props.assets[arch].repository.grantPull(role);
    this.repository.grantPullPush(role);
    this.project = new codebuild.Project(this, "Project", {
      description: "tornade: copies the runner images into their own repository during a deploy (runs no job)",
      role: forProject,
      buildSpec: codebuild.BuildSpec.fromObject(copySpec()),
      environment: { buildImage: codebuild.LinuxBuildImage.STANDARD_7_0, computeType: codebuild.ComputeType.SMALL, privileged: true },
      timeout: Duration.minutes(30),
      logging: { cloudWatch: { logGroup } },
    });

    const digest = createHash("sha256").update(`${this.tags.X86_64} ${this.tags.ARM64}`).digest("hex").slice(0, 12);
    const handle = new CfnWaitConditionHandle(this, `Handle${digest}`);
    const start = new cr.AwsCustomResource(this, "Start", {
      onCreate: this.startCall(props.assets, handle, digest),
      onUpdate: this.startCall(props.assets, handle, digest),
      policy: cr.AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({ actions: ["codebuild:StartBuild"], resources: [this.project.projectArn] }),
      ]),
      ...starter(this, props.logRetention),
      installLatestAwsSdk: false,
      timeout: Duration.minutes(2),
    });
    // The copy's first pull must find the role's grants in place.
    start.node.addDependency(role);
    const copied = new CfnWaitCondition(this, `Copied${digest}`, { handle: handle.ref, count: 1, timeout: String(Duration.hours(1).toSeconds()) });
    copied.node.addDependency(start);
    this.ready = copied;
  }

  private startCall(images: Record<Arch, assets.DockerImageAsset>, handle: CfnWaitConditionHandle, digest: string): cr.AwsSdkCall {
    const variable = (name: string, value: string) => ({ name, value, type: "PLAINTEXT" });
    return {
      service: "CodeBuild",
      action: "StartBuild",
      parameters: {
        projectName: this.project.projectName,
        environmentVariablesOverride: [
          variable("TARGET", this.repository.repositoryUri),
          ...ARCHS.flatMap((arch) => [variable(`SOURCE_${arch}`, images[arch].imageUri), variable(`TAG_${arch}`, this.tags[arch])]),
          // The wait condition's presigned URL: the build's last command signals it.
          variable("WAIT_URL", handle.ref),
        ],
      },
      physicalResourceId: cr.PhysicalResourceId.of(`tornade-runner-image-copy-${digest}`),
      // StartBuild answers the whole build; a custom resource's response must stay under 4 KB.
      outputPaths: ["build.id"],
    };
  }
}

/** The copy build: log in to the registry (source and target are both this account's), pull, tag, push, signal. */
function copySpec(): Record<string, unknown> {
  return {
    version: "0.2",
    env: { shell: "bash" },
    phases: {
      build: {
        commands: [
          'aws ecr get-login-password | docker login --username AWS --password-stdin "${TARGET%%/*}"',
          // Pulling another platform's image needs no emulation: nothing of it runs here.
          ...ARCHS.map((arch) => {
            const [source, target] = [`"$SOURCE_${arch}"`, `"$TARGET:$TAG_${arch}"`];
            return `docker pull --platform ${PLATFORMS[arch]} ${source} && docker tag ${source} ${target} && docker push ${target}`;
          }),
        ],
        finally: [
          'if [ "$CODEBUILD_BUILD_SUCCEEDING" = 1 ]; then status=SUCCESS; else status=FAILURE; fi',
          // "Creating wait conditions in a template" (CloudFormation User Guide): a PUT of this JSON, no content type.
          'curl -fsS -X PUT -H "Content-Type:" --data-binary "{\\"Status\\":\\"$status\\",\\"Reason\\":\\"runner image copy: $status (CodeBuild build $CODEBUILD_BUILD_ID)\\",\\"UniqueId\\":\\"copy\\",\\"Data\\":\\"$TAG_X86_64 $TAG_ARM64\\"}" "$WAIT_URL"',
        ],
      },
    },
  };
}

/** The custom resource's function: its own role (no AWS managed policy) writing its own log group. */
function starter(scope: Construct, retention: logs.RetentionDays): { role: iam.Role; logGroup: logs.LogGroup } {
  const role = new iam.Role(scope, "StarterRole", {
    assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
    description: "tornade: starts the runner image copy during a deploy",
  });
  const logGroup = new logs.LogGroup(scope, "StarterLogs", { retention, removalPolicy: RemovalPolicy.DESTROY });
  logGroup.grantWrite(role);
  return { role, logGroup };
}
