#!/usr/bin/env bash
# tornade's runner entrypoint: start the GitHub Actions runner with its just-in-time (JIT) configuration, for one job.
#
# Where the JIT config comes from:
#   - ACTIONS_RUNNER_INPUT_JITCONFIG (what tornade's ECS and CodeBuild launches set; src/core/runner-env.ts), or
#   - TORNADE_JITCONFIG_SSM_PARAMETER: the name of a one-time SSM SecureString parameter holding it. It is read with
#     decryption and deleted at once, so the value lives in SSM only until its runner has it.
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

if [[ -n "${TORNADE_JITCONFIG_SSM_PARAMETER:-}" ]]; then
  parameter="$TORNADE_JITCONFIG_SSM_PARAMETER"
  log "reading the JIT config from SSM parameter ${parameter}"
  jitconfig="$(aws ssm get-parameter --name "$parameter" --with-decryption --query Parameter.Value --output text)"
  # Deleting first would lose the config on a failed read; deleting after means a crash here leaves it for at most
  # the parameter's lifetime, and the config is single-use either way (GitHub accepts one session per JIT runner).
  if ! aws ssm delete-parameter --name "$parameter" >/dev/null; then
    log "warning: could not delete SSM parameter ${parameter}; delete it by hand (it is single-use)"
  fi
  ACTIONS_RUNNER_INPUT_JITCONFIG="$jitconfig"
  unset jitconfig
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
