/**
 * The runner image both backends start: built from runner-image/ by the CDK at deploy time (one image per
 * architecture, so `cdk deploy` needs Docker with arm64 emulation, e.g. `docker run --privileged --rm
 * tonistiigi/binfmt --install arm64`), or an image you pushed yourself with `docker buildx build --platform
 * linux/amd64,linux/arm64` (one multi-arch tag serves both; Fargate and CodeBuild pull the variant of their platform).
 */
import { aws_codebuild as codebuild, aws_ecr as ecr, aws_ecr_assets as assets, aws_ecs as ecs } from "aws-cdk-lib";
import { Construct } from "constructs";
import { RUNNER_IMAGE_DIR } from "./paths.js";

export type Arch = "X86_64" | "ARM64";
export const ARCHS: readonly Arch[] = ["X86_64", "ARM64"];

export type RunnerImageSource =
  /** Build runner-image/ during `cdk deploy` (default). */
  | { readonly kind: "asset" }
  /** A multi-arch image already in ECR, e.g. pushed by your CI. */
  | { readonly kind: "ecr"; readonly repository: ecr.IRepository; readonly tagOrDigest: string };

export class RunnerImages extends Construct {
  private readonly images: Record<Arch, { ecs: ecs.ContainerImage; codebuild: codebuild.IBuildImage }>;

  constructor(scope: Construct, id: string, source: RunnerImageSource) {
    super(scope, id);
    const forArch = (arch: Arch) => {
      if (source.kind === "ecr") {
        return {
          ecs: ecs.ContainerImage.fromEcrRepository(source.repository, source.tagOrDigest),
          codebuild: buildImage(arch, source.repository, source.tagOrDigest),
        };
      }
      const asset = new assets.DockerImageAsset(this, arch, {
        directory: RUNNER_IMAGE_DIR,
        platform: arch === "ARM64" ? assets.Platform.LINUX_ARM64 : assets.Platform.LINUX_AMD64,
      });
      return { ecs: ecs.ContainerImage.fromDockerImageAsset(asset), codebuild: buildImage(arch, asset.repository, asset.imageTag) };
    };
    this.images = { X86_64: forArch("X86_64"), ARM64: forArch("ARM64") };
  }

  ecs(arch: Arch): ecs.ContainerImage {
    return this.images[arch].ecs;
  }

  codebuild(arch: Arch): codebuild.IBuildImage {
    return this.images[arch].codebuild;
  }
}

function buildImage(arch: Arch, repository: ecr.IRepository, tag: string): codebuild.IBuildImage {
  return arch === "ARM64"
    ? codebuild.LinuxArmBuildImage.fromEcrRepository(repository, tag)
    : codebuild.LinuxBuildImage.fromEcrRepository(repository, tag);
}
