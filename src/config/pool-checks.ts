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
  return problems;
}
