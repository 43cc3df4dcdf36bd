/** Cross-field rules zod's per-field schema cannot express. Each problem names its key and the fix. */
import { overCeilings, type Asked, type Ceilings } from "../core/ceilings.js";
import {
  DEFAULT_FARGATE_SIZES,
  describeMemoryOptions,
  FARGATE_CPUS,
  isFargateCpu,
  isValidFargateSize,
  smallestCpuFor,
  smallestMemoryFor,
} from "../core/fargate-sizes.js";
import { SIZES } from "../core/types.js";
import { intakesOf } from "./intake.js";
import type { Config } from "./schema.js";

type Where = (key: string) => string;

/** Size defaults and presets must be sizes Fargate runs (AWS, "Task CPU and memory"); fills the missing half. */
export function checkSizes(config: Config, where: Where): string[] {
  const problems: string[] = [];
  const d = config.defaults;
  if (d.size !== undefined && (d.cpu !== undefined || d.memory !== undefined)) {
    problems.push(`${where("defaults.size")}: cannot be combined with defaults.cpu/defaults.memory. Fix: keep one of them`);
  }
  if (d.cpu !== undefined && !isFargateCpu(d.cpu)) {
    problems.push(`${where("defaults.cpu")}: ${d.cpu} is not a Fargate vCPU value. Fix: use one of ${FARGATE_CPUS.join(", ")}`);
  } else if (d.cpu !== undefined && d.memory !== undefined && !isValidFargateSize(d.cpu, d.memory)) {
    problems.push(`${where("defaults.memory")}: Fargate does not run ${d.cpu} vCPU with ${d.memory} MiB. Fix: use ${describeMemoryOptions(d.cpu)}`);
  } else if (d.cpu !== undefined && d.memory === undefined) {
    d.memory = smallestMemoryFor(d.cpu);
  } else if (d.cpu === undefined && d.memory !== undefined) {
    const cpu = smallestCpuFor(d.memory);
    if (cpu === undefined) problems.push(`${where("defaults.memory")}: no Fargate task size has ${d.memory} MiB. Fix: see AWS "Task CPU and memory"`);
    else d.cpu = cpu;
  }
  for (const size of SIZES) {
    const s = config.sizes[size];
    if (s && !isValidFargateSize(s.cpu, s.memory)) {
      problems.push(`${where(`sizes.${size}`)}: Fargate does not run ${s.cpu} vCPU with ${s.memory} MiB. Fix: use a size from AWS "Task CPU and memory"${isFargateCpu(s.cpu) ? ` (with ${s.cpu} vCPU: ${describeMemoryOptions(s.cpu)})` : ""}`);
    }
  }
  return problems;
}

/**
 * The configured defaults must sit within the cost ceilings: otherwise every job that names no size would be rejected
 * for something its author never asked for. Said at start, naming both settings.
 */
export function checkCeilings(config: Config, where: Where): string[] {
  const d = config.defaults;
  const preset = d.size === undefined ? undefined : { ...DEFAULT_FARGATE_SIZES[d.size], ...config.sizes[d.size] };
  const asked: Asked = { cpu: d.cpu ?? preset?.cpu, memory: d.memory ?? preset?.memory, disk: d.disk, codebuildSize: d.size };
  const source: Readonly<Record<keyof Ceilings, string>> = {
    maxCpu: d.cpu !== undefined ? "defaults.cpu" : "defaults.size",
    maxMemory: d.memory !== undefined ? "defaults.memory" : "defaults.size",
    maxDisk: "defaults.disk",
    maxCodeBuildSize: "defaults.size",
  };
  return overCeilings(asked, config.limits).map((o) => `${where(source[o.key])}: the default ${o.problem.replace("Fix: ask for less", "Fix: lower the default")}`);
}

/** A compressed clock makes sense only against a test bed on this machine; against real GitHub or AWS it is a mistake. */
export function checkClock(config: Config, where: Where): string[] {
  if (config.clock.speed === 1 && config.clock.origin === undefined) return [];
  const local = (url: string | undefined) => url !== undefined && /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?(\/|$)/.test(url);
  if (local(config.github.baseUrl) && (config.sandbox || local(config.aws.endpoint))) return [];
  return [`${where("clock.speed")}: a compressed clock is only for a test bed on this machine, but GitHub or AWS is not on 127.0.0.1. Fix: remove TORNADE_CLOCK_SPEED / TORNADE_CLOCK_ORIGIN`];
}

/**
 * What `tornade serve` cannot start without (not checked in the sandbox). A process that verifies no delivery (the
 * serverless worker and sweep) needs no webhook secret, whatever the intake.
 */
export function checkRunnable(config: Config, where: Where, verifiesDeliveries = true): string[] {
  const problems: string[] = [];
  const g = config.github;
  if (g.appId !== undefined && g.privateKey === undefined) {
    problems.push(`${where("github.privateKey")}: missing; an App needs its private key. Fix: set SECRET_KEY_PEM (base64 of the .pem, the PEM text, or its path) or github.privateKey`);
  } else if (g.appId === undefined && g.privateKey !== undefined) {
    problems.push(`${where("github.appId")}: missing; the private key needs its App ID. Fix: set APP_ID or github.appId`);
  } else if (g.appId === undefined && g.personalToken === undefined) {
    problems.push(`github credentials: none given. Fix: set APP_ID and SECRET_KEY_PEM (a GitHub App, recommended), or PERSONAL_TOKEN; or run with --sandbox`);
  }
  if (g.webhookSecret === undefined && verifiesDeliveries && intakesOf(config).webhooks) {
    problems.push(`${where("github.webhookSecret")}: missing; webhooks cannot be verified without it. Fix: set TORNADE_WEBHOOK_SECRET or github.webhookSecret to the App's webhook secret, or TORNADE_INTAKE=scale-sets to take no webhooks`);
  }
  const a = config.aws;
  if (a.region === undefined) problems.push(`${where("aws.region")}: missing. Fix: set TORNADE_AWS_REGION (or AWS_REGION) or aws.region, e.g. us-east-1`);
  const fargate = a.taskDefinitions.X86_64 !== undefined || a.taskDefinitions.ARM64 !== undefined;
  const codebuild = a.codebuild.projectX86_64 !== undefined || a.codebuild.projectARM64 !== undefined;
  if (!fargate && !codebuild) {
    problems.push(`aws: no backend configured. Fix: set aws.taskDefinitions.X86_64/ARM64 (TORNADE_TASK_DEFINITION_X86_64/_ARM64) for Fargate, and/or aws.codebuild.projectX86_64/ARM64 (TORNADE_CODEBUILD_PROJECT_X86_64/_ARM64)`);
  }
  if (fargate && a.cluster === undefined) problems.push(`${where("aws.cluster")}: missing; Fargate runners need a cluster. Fix: set TORNADE_ECS_CLUSTER or aws.cluster`);
  if (fargate && a.subnets.length === 0) problems.push(`${where("aws.subnets")}: missing; Fargate tasks use awsvpc networking. Fix: set TORNADE_SUBNETS or aws.subnets`);
  if (fargate || codebuild) {
    const available = config.defaultBackend === "CODEBUILD"
      ? (config.defaultArch === "X86_64" ? a.codebuild.projectX86_64 : a.codebuild.projectARM64)
      : a.taskDefinitions[config.defaultArch];
    if (available === undefined) {
      problems.push(`${where("defaultBackend")}: ${config.defaultBackend} on ${config.defaultArch} (the default for jobs without runs-on=/arch=) is not configured. Fix: configure it, or change defaultBackend/defaultArch`);
    }
  }
  return problems;
}
