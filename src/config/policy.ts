/** The slice of configuration the delivery decision reads, as plain values for core/decision.ts. */
import { DEFAULT_FARGATE_SIZES } from "../core/fargate-sizes.js";
import type { CostCeilings } from "../core/ceilings.js";
import type { DeliveryPolicy } from "../core/decision.js";
import type { Arch, Backend } from "../core/types.js";
import { loadConfig } from "./load.js";
import type { Config } from "./schema.js";

export function policyOf(config: Config): DeliveryPolicy {
  const a = config.aws;
  const fargate: Arch[] = (["X86_64", "ARM64"] as const).filter((arch) => a.taskDefinitions[arch] !== undefined);
  const codebuild: Arch[] = [
    ...(a.codebuild.projectX86_64 !== undefined ? (["X86_64"] as const) : []),
    ...(a.codebuild.projectARM64 !== undefined ? (["ARM64"] as const) : []),
  ];
  const available: Record<Backend, readonly Arch[]> = { FARGATE: fargate, FARGATE_SPOT: fargate, CODEBUILD: codebuild };
  // Nothing configured can only be a partial load (explain without a full configuration): then judge labels alone.
  const anything = fargate.length > 0 || codebuild.length > 0;
  return {
    launchLabel: config.launchLabel,
    defaultBackend: config.defaultBackend,
    defaultArch: config.defaultArch,
    images: Object.keys(config.images),
    fleets: Object.keys(a.codebuild.fleets),
    defaultImage: "default",
    defaults: { ...config.defaults },
    fargateSizes: { ...DEFAULT_FARGATE_SIZES, ...definedOnly(config.sizes) },
    available: anything ? available : undefined,
    allowedRepositories: config.github.allowedRepositories,
    allowedOrganizations: config.github.allowedOrganizations,
    allowPublicRepositories: config.github.allowPublicRepositories,
    ceilings: ceilingsOf(config),
    staticPools: config.pool.runners.map((r) => ({ backend: r.backend, arch: r.arch ?? config.defaultArch })),
  };
}

/** The cost ceilings in force (the limits section), for the label grammar, `tornade cost` and the dashboard. */
export function ceilingsOf(config: Config): CostCeilings {
  const { maxRunners, perBackend, maxCpu, maxMemory, maxDisk, maxCodeBuildSize } = config.limits;
  return { maxRunners, perBackend: definedOnly(perBackend), maxCpu, maxMemory, maxDisk, maxCodeBuildSize };
}

/** The policy `tornade explain` applies: the same as serve's, without requiring what only a server needs. */
export function loadPolicy(env: NodeJS.ProcessEnv, file?: string, options: { sandbox?: boolean } = {}): DeliveryPolicy {
  return policyOf(loadConfig(env, file, { ...options, partial: true }));
}

function definedOnly<T extends object>(o: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as { [K in keyof T]-?: Exclude<T[K], undefined> };
}
