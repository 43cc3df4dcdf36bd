/**
 * cdk-nag's AwsSolutions checks through cdk-nag 3's use of CDK's own `Validations` API: the plugin runs during
 * synthesis; any unacknowledged finding makes synthesis throw and writes `validation-report.json` into the output
 * directory (aws-cdk-lib core/lib/validation). runNag turns that into a list a script can print and count.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";

export interface NagFinding {
  readonly rule: string;
  readonly description: string;
  readonly severity: string;
  readonly path: string;
}

interface ReportShape {
  pluginReports?: { violations?: { ruleName?: string; description?: string; severity?: string; violatingConstructs?: { constructPath?: string }[] }[] }[];
}

export function addNag(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** Synthesizes `app` (with addNag already applied) and returns every finding; an empty list means a clean synth. */
export function runNag(app: App): NagFinding[] {
  let threw: unknown;
  try {
    app.synth();
  } catch (e) {
    threw = e;
  }
  const reportPath = join(app.outdir, "validation-report.json");
  if (!existsSync(reportPath)) {
    if (threw) throw threw;
    return [];
  }
  const report = JSON.parse(readFileSync(reportPath, "utf8")) as ReportShape;
  const findings: NagFinding[] = [];
  for (const plugin of report.pluginReports ?? []) {
    for (const v of plugin.violations ?? []) {
      for (const c of v.violatingConstructs ?? []) {
        findings.push({ rule: v.ruleName ?? "?", description: v.description ?? "", severity: v.severity ?? "error", path: c.constructPath ?? "?" });
      }
    }
  }
  if (findings.length === 0 && threw) throw threw;
  return findings;
}
