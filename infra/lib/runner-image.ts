/**
 * The runner image both backends start: built from tornade's runner-image/ (in the installed tornade package) by the
 * CDK at deploy time (one image per
 * architecture, so `cdk deploy` needs Docker with arm64 emulation, e.g. `docker run --privileged --rm
 * tonistiigi/binfmt --install arm64`), or an image you pushed yourself with `docker buildx build --platform
 * linux/amd64,linux/arm64` (one multi-arch tag serves both; Fargate and CodeBuild pull the variant of their platform).
 *
 * Where each backend pulls it from matters because of who can use the pulling role. Fargate pulls with the task
 * execution role, which ECS uses and no job can; CodeBuild pulls with the project's service role, which the job in the
 * build can use. So a CodeBuild project only ever reads the runner image's own repository: yours (kind "ecr"), or, for
 * images the CDK builds, a repository of this construct's that the deploy copies them into (runner-image-copy.ts) —
 * never the account's shared CDK asset repository.
 */
import { aws_codebuild as codebuild, aws_ecr as ecr, aws_ecr_assets as assets, aws_ecs as ecs, type aws_logs as logs } from "aws-cdk-lib";
import { Construct, type IDependable } from "constructs";
import { runnerImageDir } from "./tornade-package.js";
import { RunnerImageCopy } from "./runner-image-copy.js";

export type Arch = "X86_64" | "ARM64";
export const ARCHS: readonly Arch[] = ["X86_64", "ARM64"];

export type RunnerImageSource =
  /** Build tornade's runner-image/ during `cdk deploy` (default). */
  | { readonly kind: "asset" }
  /** A multi-arch image already in ECR, e.g. pushed by your CI. */
  | { readonly kind: "ecr"; readonly repository: ecr.IRepository; readonly tagOrDigest: string };

/** A CodeBuild runner project's image, and the one repository its role may pull from. */
export interface RunnerBuildImage {
  readonly image: codebuild.IBuildImage;
  readonly repository: ecr.IRepository;
  /** What the deploy must finish before a build can pull the image (the copy into the runner repository). */
  readonly ready?: IDependable;
}

export interface RunnerImagesProps {
  readonly source: RunnerImageSource;
  /** Of the copy's logs (asset images only). */
  readonly logRetention: logs.RetentionDays;
}

export class RunnerImages extends Construct {
  /** The copy into the runner images' own repository, when the CDK builds them. */
  readonly copy?: RunnerImageCopy;
  private readonly images: Record<Arch, { ecs: ecs.ContainerImage; codebuild: RunnerBuildImage }>;

  constructor(scope: Construct, id: string, props: RunnerImagesProps) {
    super(scope, id);
    const { source } = props;
    if (source.kind === "ecr") {
      const forArch = (arch: Arch) => ({
        ecs: ecs.ContainerImage.fromEcrRepository(source.repository, source.tagOrDigest),
        codebuild: { image: buildImage(arch, source.repository, source.tagOrDigest), repository: source.repository },
      });
      this.images = { X86_64: forArch("X86_64"), ARM64: forArch("ARM64") };
      return;
    }
    const asset = (arch: Arch) =>
      new assets.DockerImageAsset(this, arch, {
        directory: runnerImageDir(),
        platform: arch === "ARM64" ? assets.Platform.LINUX_ARM64 : assets.Platform.LINUX_AMD64,
      });
    const built = { X86_64: asset("X86_64"), ARM64: asset("ARM64") };
    const copy = (this.copy = new RunnerImageCopy(this, "Copy", { assets: built, logRetention: props.logRetention }));
    const forArch = (arch: Arch) => ({
      ecs: ecs.ContainerImage.fromDockerImageAsset(built[arch]),
      codebuild: { image: buildImage(arch, copy.repository, copy.tags[arch]), repository: copy.repository, ready: copy.ready },
    });
    this.images = { X86_64: forArch("X86_64"), ARM64: forArch("ARM64") };
  }

  ecs(arch: Arch): ecs.ContainerImage {
    return this.images[arch].ecs;
  }

  codebuild(arch: Arch): RunnerBuildImage {
    return this.images[arch].codebuild;
  }
}

function buildImage(arch: Arch, repository: ecr.IRepository, tag: string): codebuild.IBuildImage {
  return arch === "ARM64"
    ? codebuild.LinuxArmBuildImage.fromEcrRepository(repository, tag)
    : codebuild.LinuxBuildImage.fromEcrRepository(repository, tag);
}
