/** @tornade/infra: the TornadeRunners construct and its parts. */
export { TornadeRunners, type TornadeRunnersProps } from "./tornade-runners.js";
export type { RunnerImageSource, Arch } from "./runner-image.js";
export type { FargateSizeProps } from "./ecs-runners.js";
export { RUNNER_CONTAINER } from "./ecs-runners.js";
export { ENV as CONTROLLER_ENV } from "./controller-env.js";
export { METRIC_NAMESPACE, LAUNCH_FAILURES_METRIC } from "./alarms.js";
export { runNag, type NagFinding } from "./nag.js";
