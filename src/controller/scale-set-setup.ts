/**
 * What configuration decides of scale-set mode (docs/scale-sets.md): each scale set's name, labels, runner shape —
 * resolved through the label grammar exactly as a standby's shape is (core/standby.ts shapeSpec) — and bounds, and the
 * scope they live in. Every shape that cannot be launched is reported at once, naming the entry and the fix.
 */
import { ConfigError, intakesOf, type Config } from "../config/index.js";
import type { LabelPolicy } from "../core/labels.js";
import { shapeSpec } from "../core/standby.js";
import type { LaunchSpec } from "../core/types.js";

export interface ScaleSetTarget {
  readonly name: string;
  /** Labels a job's runs-on may name besides the scale set's name. */
  readonly labels: readonly string[];
  readonly spec: LaunchSpec;
  readonly minRunners: number;
  readonly maxRunners: number;
}

export interface ScaleSetSetup {
  readonly targets: readonly ScaleSetTarget[];
  readonly scope: { readonly scope: "org" | "repo"; readonly owner: string; readonly repo: string; readonly installationId: number };
  readonly runnerGroup: string;
  readonly configUrl?: string | undefined;
  readonly intervalMs: number;
  readonly leaseMs: number;
}

/** The scale sets to listen to, or undefined when the scale-set intake is off. Throws ConfigError listing every problem. */
export function scaleSetSetupOf(config: Config, labelPolicy: LabelPolicy): ScaleSetSetup | undefined {
  const s = config.scaleSets;
  if (!intakesOf(config).scaleSets || s.sets.length === 0) return undefined;
  const problems: string[] = [];
  const targets = s.sets.flatMap((entry, i): ScaleSetTarget[] => {
    const resolved = shapeSpec(entry, config.defaultArch, labelPolicy);
    if ("problem" in resolved) {
      problems.push(`scaleSets.sets.${i} (${entry.name}: ${resolved.shape}): ${resolved.problem}. Fix: name a backend, arch, size and image this tornade launches`);
      return [];
    }
    return [{ name: entry.name, labels: entry.labels, spec: resolved.spec, minRunners: entry.minRunners, maxRunners: entry.maxRunners }];
  });
  if (problems.length) throw new ConfigError(problems);
  return {
    targets,
    // loadConfig's checks (config/scale-set-checks.ts) refuse a configuration without owner (and repo for repo scope).
    scope: { scope: config.github.runnerScope, owner: s.owner ?? "", repo: config.github.runnerScope === "repo" ? (s.repo ?? "") : "", installationId: s.installationId ?? 0 },
    runnerGroup: s.runnerGroup,
    configUrl: s.configUrl,
    intervalMs: s.intervalSeconds * 1000,
    leaseMs: s.leaseSeconds * 1000,
  };
}
