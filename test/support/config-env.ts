/**
 * The smallest environment `loadConfig` accepts for `tornade serve` (a personal token, a webhook secret, one Fargate
 * task definition): configuration tests add the keys they are about to it.
 */
export const MINIMAL_SERVE_ENV: Readonly<Record<string, string>> = {
  PERSONAL_TOKEN: "ghp_x",
  TORNADE_WEBHOOK_SECRET: "s",
  TORNADE_AWS_REGION: "us-east-1",
  TORNADE_ECS_CLUSTER: "c",
  TORNADE_SUBNETS: "subnet-1",
  TORNADE_TASK_DEFINITION_X86_64: "td",
};

/** The problems a ConfigError thrown by `run` lists; [] when it throws none. */
export function configProblems(run: () => unknown, isConfigError: (e: unknown) => e is { problems: readonly string[] }): string[] {
  try {
    run();
  } catch (e) {
    if (isConfigError(e)) return [...e.problems];
    throw e;
  }
  return [];
}
