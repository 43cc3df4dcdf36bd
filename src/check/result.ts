/** One line of `tornade check`: what was checked, whether it passed, and when not, what to do about it. */
export interface CheckResult {
  /** "github: installation 42 token", "aws: ECS cluster tornade", ... */
  readonly name: string;
  readonly status: "pass" | "fail" | "skip";
  /** What was found. */
  readonly detail: string;
  /** What to do, on a failure. */
  readonly fix?: string;
}

export const pass = (name: string, detail: string): CheckResult => ({ name, status: "pass", detail });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: "fail", detail, fix });
export const skip = (name: string, detail: string): CheckResult => ({ name, status: "skip", detail });

/** A configuration problem ("KEY: what. Fix: how", config/load.ts) as a failed check, its fix split off. */
export function problemCheck(problem: string, otherwise: string): CheckResult {
  const i = problem.indexOf(". Fix: ");
  return i < 0 ? fail("configuration", problem, otherwise) : fail("configuration", problem.slice(0, i), problem.slice(i + 7));
}

export function formatChecks(results: readonly CheckResult[]): string {
  const out = results.map((r) => {
    const head = `${r.status === "pass" ? "PASS" : r.status === "fail" ? "FAIL" : "SKIP"}  ${r.name}: ${r.detail}`;
    return r.fix ? `${head}\n      fix: ${r.fix}` : head;
  });
  const failed = results.filter((r) => r.status === "fail").length;
  out.push("", failed === 0 ? `all ${results.filter((r) => r.status === "pass").length} checks passed` : `${failed} of ${results.length} checks failed`);
  return `${out.join("\n")}\n`;
}

/** The message of an error from an SDK or Octokit, without a stack. */
export function errorText(e: unknown): string {
  if (e instanceof Error) return `${e.name !== "Error" ? `${e.name}: ` : ""}${e.message.split("\n")[0] ?? ""}`;
  return String(e);
}
