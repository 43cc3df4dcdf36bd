/** Cross-field rules of `intake` and `scaleSets` (docs/scale-sets.md). Each problem names its key and the fix. */
import { intakesOf } from "./intake.js";
import type { Config } from "./schema.js";

type Where = (key: string) => string;

/**
 * Scale sets need an intake that listens to them, a scope (owner, and repo unless runners are organization-wide), the
 * installation to act as (GitHub App), a configured backend each, distinct names, and bounds that fit the limits.
 * (That each shape is one tornade launches is checked where it is resolved: controller/scale-set-setup.ts.)
 */
export function checkScaleSets(config: Config, where: Where): string[] {
  const s = config.scaleSets;
  const intakes = intakesOf(config);
  const problems: string[] = [];
  if (intakes.scaleSets && s.sets.length === 0) {
    problems.push(`${where("intake")}: ${config.intake} listens to runner scale sets, but none is configured. Fix: set TORNADE_SCALE_SETS (scaleSets.sets), or TORNADE_INTAKE=webhooks`);
  }
  if (!intakes.scaleSets && s.sets.length > 0) {
    problems.push(`${where("scaleSets.sets")}: ${s.sets.length} scale set(s) configured, but intake is "webhooks": they would never be listened to. Fix: set TORNADE_INTAKE to both or scale-sets, or remove them`);
  }
  if (s.sets.length === 0 || !intakes.scaleSets) return problems;
  if (s.owner === undefined) {
    problems.push(`${where("scaleSets.owner")}: missing; scale sets belong to one organization or repository. Fix: set TORNADE_SCALE_SETS_OWNER or scaleSets.owner`);
  }
  if (config.github.runnerScope === "repo" && s.repo === undefined) {
    problems.push(`${where("scaleSets.repo")}: missing; with github.runnerScope repo a scale set serves one repository. Fix: set TORNADE_SCALE_SETS_REPO or scaleSets.repo, or use github.runnerScope org`);
  }
  if (config.github.appId !== undefined && s.installationId === undefined) {
    problems.push(`${where("scaleSets.installationId")}: missing; a GitHub App manages scale sets through its installation on their owner. Fix: set TORNADE_SCALE_SETS_INSTALLATION_ID or scaleSets.installationId (Settings → GitHub Apps → Configure: the number in the URL)`);
  }
  const seen = new Map<string, number>();
  const a = config.aws;
  s.sets.forEach((set, i) => {
    const key = set.name.toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) problems.push(`${where(`scaleSets.sets.${i}`)}: the name ${set.name} is taken by scaleSets.sets.${first} (names are case-insensitive on GitHub). Fix: give each scale set its own name`);
    else seen.set(key, i);
    if (set.minRunners > set.maxRunners) {
      problems.push(`${where(`scaleSets.sets.${i}`)}: ${set.name} keeps ${set.minRunners} runners at least but ${set.maxRunners} at most. Fix: make minRunners ≤ maxRunners (NAME=…:MIN-MAX)`);
    }
    const arch = set.arch ?? config.defaultArch;
    const configured = set.backend === "CODEBUILD" ? (arch === "X86_64" ? a.codebuild.projectX86_64 : a.codebuild.projectARM64) : a.taskDefinitions[arch];
    if (configured === undefined && !config.sandbox) {
      problems.push(`${where(`scaleSets.sets.${i}`)}: ${set.name} runs on ${set.backend} ${arch}, which is not configured. Fix: configure its ${set.backend === "CODEBUILD" ? "CodeBuild project" : "task definition"}, or pick another backend`);
    }
  });
  const idle = s.sets.reduce((n, set) => n + set.minRunners, 0);
  if (idle > config.limits.maxRunners) {
    problems.push(`${where("scaleSets.sets")}: the scale sets' minRunners add up to ${idle}, more than limits.maxRunners (${config.limits.maxRunners}), which counts them: no other runner could start. Fix: lower them, or raise TORNADE_MAX_RUNNERS above ${idle}`);
  }
  return problems;
}
