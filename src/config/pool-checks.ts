/** Cross-field rules of the `pool` section (docs/static-pool.md). Each problem names its key and the fix. */
import type { Config } from "./schema.js";

type Where = (key: string) => string;

/**
 * A pool with runners needs to know where they register (owner, and repo unless runners are organization-wide), which
 * installation to act as (GitHub App), and a configured backend for each pool; each backend/arch is listed once.
 */
export function checkPool(config: Config, where: Where): string[] {
  const p = config.pool;
  if (p.runners.length === 0) return [];
  const problems: string[] = [];
  if (p.owner === undefined) {
    problems.push(`${where("pool.owner")}: missing; the pool's runners register in one repository or organization. Fix: set TORNADE_POOL_OWNER or pool.owner`);
  }
  if (config.github.runnerScope === "repo" && p.repo === undefined) {
    problems.push(`${where("pool.repo")}: missing; repository runners serve one repository. Fix: set TORNADE_POOL_REPO or pool.repo, or use github.runnerScope org`);
  }
  if (config.github.appId !== undefined && p.installationId === undefined) {
    problems.push(`${where("pool.installationId")}: missing; a GitHub App acts through its installation on the pool's owner. Fix: set TORNADE_POOL_INSTALLATION_ID or pool.installationId (Settings → GitHub Apps → Configure: the number in the URL)`);
  }
  const a = config.aws;
  const seen = new Set<string>();
  p.runners.forEach((r, i) => {
    const arch = r.arch ?? config.defaultArch;
    const key = `${r.backend}/${arch}`;
    if (seen.has(key)) problems.push(`${where(`pool.runners.${i}`)}: ${key} is listed twice. Fix: give each backend/arch one entry`);
    seen.add(key);
    const configured = r.backend === "CODEBUILD" ? (arch === "X86_64" ? a.codebuild.projectX86_64 : a.codebuild.projectARM64) : a.taskDefinitions[arch];
    if (configured === undefined && !config.sandbox) {
      problems.push(`${where(`pool.runners.${i}`)}: ${r.backend} on ${arch} is not configured. Fix: configure its ${r.backend === "CODEBUILD" ? "CodeBuild project" : "task definition"}, or remove the entry`);
    }
  });
  problems.push(...checkPoolFitsLimits(config, where));
  return problems;
}

/**
 * Pool runners count against the runner limits like job runners (docs/static-pool.md, "Pool runners and the runner
 * limits"): a pool larger than a limit could never be filled, and while it tried no per-job runner would start.
 * Every pool is counted at its full size, as if all their schedules were open at once.
 */
function checkPoolFitsLimits(config: Config, where: Where): string[] {
  const { maxRunners, perBackend } = config.limits;
  const sizes = config.pool.runners;
  const total = sizes.reduce((n, r) => n + r.size, 0);
  const problems: string[] = [];
  if (total > maxRunners) {
    problems.push(`${where("pool.runners")}: the pool's sizes add up to ${total} runners, more than limits.maxRunners (${maxRunners}), which counts pool runners too: the pool could never be filled and no per-job runner would start. Fix: shrink the pool, or raise TORNADE_MAX_RUNNERS (limits.maxRunners) above ${total}`);
  }
  for (const [backend, limit] of Object.entries(perBackend)) {
    const mine = sizes.filter((r) => r.backend === backend).reduce((n, r) => n + r.size, 0);
    if (limit !== undefined && mine > limit) {
      problems.push(`${where("pool.runners")}: the ${backend} pools add up to ${mine} runners, more than limits.perBackend.${backend} (${limit}), which counts pool runners too. Fix: shrink them, or raise TORNADE_MAX_RUNNERS_${backend} above ${mine}`);
    }
  }
  return problems;
}
