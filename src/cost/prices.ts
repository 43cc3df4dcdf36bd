/** The configured `prices` section laid over the published defaults (core/cost.ts cites each default). */
import type { Config } from "../config/index.js";
import { DEFAULT_PRICES, type Prices } from "../core/cost.js";
import { ARCHS } from "../core/types.js";

export function pricesOf(config: Config): Prices {
  const c = config.prices;
  const d = DEFAULT_PRICES;
  const perArch = <T>(f: (arch: (typeof ARCHS)[number]) => T) => Object.fromEntries(ARCHS.map((a) => [a, f(a)])) as Record<(typeof ARCHS)[number], T>;
  return {
    region: c.region ?? d.region,
    fargate: perArch((a) => c.fargate?.[a] ?? d.fargate[a]),
    fargateStorageGbHour: c.fargate?.storageGbHour ?? d.fargateStorageGbHour,
    spotDiscount: c.spotDiscount ?? d.spotDiscount,
    codebuildPerMinute: perArch((a) => ({ ...d.codebuildPerMinute[a], ...definedOnly(c.codebuild?.[a] ?? {}) })),
    githubHostedPerMinute: perArch((a) => c.githubHosted?.[a] ?? d.githubHostedPerMinute[a]),
    assumedTask: c.assumedTask ?? d.assumedTask,
    assumedCodebuildSize: c.assumedCodebuildSize ?? d.assumedCodebuildSize,
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * Warnings the report prints under its table: prices for another region than tornade runs in, and the prices that
 * are assumptions rather than published figures.
 */
export function priceNotes(config: Config, prices: Prices): string[] {
  const notes: string[] = [];
  const region = config.aws.region;
  if (region && region !== prices.region) {
    notes.push(`prices are ${prices.region}'s but tornade runs in ${region}. Fix: set prices.region and the prices of ${region} (prices.fargate, prices.codebuild)`);
  }
  if (config.prices.spotDiscount === undefined) {
    notes.push(`FARGATE_SPOT is estimated at ${Math.round(prices.spotDiscount * 100)} % off Fargate (AWS: "up to 70%"). Fix: set prices.spotDiscount from your bill`);
  }
  return notes;
}
