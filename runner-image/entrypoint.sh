#!/usr/bin/env bash
# tornade's runner entrypoint: start the GitHub Actions runner with its just-in-time (JIT) configuration, for one job.
#
# Where the JIT config comes from (src/core/runner-env.ts; why: docs/security.md, "Runner credentials"):
#   - TORNADE_JITCONFIG_SSM_PARAMETER names the one-time SSM SecureString parameter tornade wrote for this runner. On
#     Fargate it is read here with decryption (the task role may read only under tornade's prefix, and only it may
#     decrypt with tornade's KMS key); on CodeBuild, CodeBuild has already resolved it into
#     ACTIONS_RUNNER_INPUT_JITCONFIG (a PARAMETER_STORE variable). Either way the parameter is deleted once the runner
#     has it, so the value lives in SSM only until its runner has it; tornade deletes what a runner never read.
#   - ACTIONS_RUNNER_INPUT_JITCONFIG alone: a config given directly (tornade never does: RunTask and StartBuild
#     overrides are readable by anyone with ecs:DescribeTasks or codebuild:BatchGetBuilds).
# The runner reads ACTIONS_RUNNER_INPUT_<ARG> for any command-line argument, so exporting the variable is the same as
# `run.sh --jitconfig <value>` without the secret appearing on a command line (visible in /proc/*/cmdline and `ps`).
#
# SIGTERM (ECS StopTask, a Fargate Spot interruption notice, docker stop) is forwarded to run.sh, which with
# RUNNER_MANUALLY_TRAP_SIG=1 passes it on to the runner's listener as SIGINT, its graceful stop.
set -euo pipefail

log() { printf 'tornade-runner: %s\n' "$*" >&2; }

# EX_CONFIG from sysexits.h: a launch without a JIT config is a configuration fault, not a runner failure.
readonly EXIT_NO_CONFIG=78

runner_home="${RUNNER_HOME:-/home/runner}"

# Parameter Store's 40 transactions a second are shared by the whole account: retry throttling with backoff. Set for
# these calls only, so the job's own AWS CLI keeps its defaults.
ssm() {
  AWS_RETRY_MODE="${AWS_RETRY_MODE:-standard}" AWS_MAX_ATTEMPTS="${AWS_MAX_ATTEMPTS:-8}" aws ssm "$@"
}

if [[ -n "${TORNADE_JITCONFIG_SSM_PARAMETER:-}" ]]; then
  parameter="$TORNADE_JITCONFIG_SSM_PARAMETER"
  if [[ -z "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ]]; then
    log "reading the JIT config from SSM parameter ${parameter}"
    if ! jitconfig="$(ssm get-parameter --name "$parameter" --with-decryption --query Parameter.Value --output text)"; then
      log "could not read SSM parameter ${parameter} (the AWS CLI says why above): no JIT config, no runner"
      exit "$EXIT_NO_CONFIG"
    fi
    ACTIONS_RUNNER_INPUT_JITCONFIG="$jitconfig"
    unset jitconfig
  fi
  # Deleting first would lose the config on a failed read; deleting after means a crash here leaves it until tornade
  # or the parameter's expiry deletes it, and the config is single-use either way (one session per JIT runner).
  if ! ssm delete-parameter --name "$parameter" >/dev/null; then
    log "warning: could not delete SSM parameter ${parameter}; it expires on its own"
  fi
fi

if [[ -z "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ]]; then
  log "no JIT config: set ACTIONS_RUNNER_INPUT_JITCONFIG or TORNADE_JITCONFIG_SSM_PARAMETER (tornade sets one at launch)"
  exit "$EXIT_NO_CONFIG"
fi
export ACTIONS_RUNNER_INPUT_JITCONFIG
export RUNNER_MANUALLY_TRAP_SIG="${RUNNER_MANUALLY_TRAP_SIG:-1}"

cd "$runner_home"

runner_pid=""
# shellcheck disable=SC2317 # called by the traps below, which shellcheck cannot follow
forward() {
  local signal="$1"
  log "received SIG${signal}; asking the runner to stop"
  if [[ -n "$runner_pid" ]]; then
    kill "-${signal}" "$runner_pid" 2>/dev/null || true
  fi
}
trap 'forward TERM' TERM
trap 'forward INT' INT

log "starting the runner ${TORNADE_RUNNER_NAME:-}"
./run.sh &
runner_pid=$!

# `wait` returns early (status > 128) when a trapped signal arrives; keep waiting until the runner itself has exited.
status=0
while true; do
  if wait "$runner_pid"; then
    status=0
  else
    status=$?
  fi
  if ! kill -0 "$runner_pid" 2>/dev/null; then
    break
  fi
done
log "runner exited with status ${status}"
exit "$status"
