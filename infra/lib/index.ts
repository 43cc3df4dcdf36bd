/** @tornade/cdk: the TornadeRunners construct, which deploys tornade and its runners (README.md). */
export { TornadeRunners, type TornadeRunnersProps } from "./tornade-runners.js";
export { TornadeRunnersPropsError, FARGATE_SPOT_UNSUPPORTED } from "./props-check.js";
export type { TornadeSettings, GitHubSettings, DefaultsSettings, LimitsSettings, LaunchSettings, SweeperSettings, Backend, Size } from "./settings.js";
export type { IntakeProps, WebhookIntakeProps, ScaleSetIntakeProps, ScaleSetProps } from "./intake.js";
export { ScaleSetService, CONTROLLER_CONTAINER, type ControllerImageSource } from "./scale-set-service.js";
export type { RunnerImageSource, Arch } from "./runner-image.js";
export type { FargateSizeProps } from "./ecs-runners.js";
export { RUNNER_CONTAINER } from "./ecs-runners.js";
export { HANDLERS, tornadeVersion, type HandlerName } from "./tornade-package.js";
export { METRIC_NAMESPACE, LAUNCH_FAILURES_METRIC } from "./alarms.js";
