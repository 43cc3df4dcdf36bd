/**
 * The default account contents registered at start, for tornade's tests and the standing test bed: one cluster, one
 * task definition per architecture (runtimePlatform.cpuArchitecture X86_64 / ARM64, one container "runner"), one
 * CodeBuild project, and made-up subnet / security-group ids.
 */
import type { AwsControl } from "./control.js";

export interface DefaultFixture {
  cluster: string;
  taskDefinitions: { X86_64: string; ARM64: string };
  codebuildProject: string;
  subnets: string[];
  securityGroups: string[];
}

export function registerDefaults(control: AwsControl): DefaultFixture {
  const cluster = control.registerCluster("tornade").name;
  const x86 = control.registerTaskDefinition({ family: "tornade-runner-x86_64", cpuArchitecture: "X86_64", cpu: "1024", memory: "2048" });
  const arm = control.registerTaskDefinition({ family: "tornade-runner-arm64", cpuArchitecture: "ARM64", cpu: "1024", memory: "2048" });
  const project = control.registerProject({ name: "tornade-runner", environmentType: "LINUX_CONTAINER", computeType: "BUILD_GENERAL1_SMALL" });
  return {
    cluster,
    taskDefinitions: { X86_64: x86.ref, ARM64: arm.ref },
    codebuildProject: project.name,
    subnets: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
    securityGroups: ["sg-0a1b2c3d4e5f60001"],
  };
}
