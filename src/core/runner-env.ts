/**
 * The environment variable that carries a runner's just-in-time configuration into its container or build.
 * The actions runner reads `ACTIONS_RUNNER_INPUT_<ARG>` for any command-line argument, so this one is the same as
 * `run.sh --jitconfig <value>` without the secret ever appearing on a command line.
 */
export const JIT_CONFIG_ENV = "ACTIONS_RUNNER_INPUT_JITCONFIG";
