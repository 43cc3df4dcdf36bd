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

# A standby (docs/standby.md) is started before its job is known: TORNADE_STANDBY_UNTIL (ms since the epoch) tells it
# to wait for tornade to write its parameter, polling every TORNADE_STANDBY_POLL_SECONDS (default 1, as
# src/core/runner-env.ts STANDBY_POLL_MS) while GetParameter answers ParameterNotFound, and to exit 0 at that time if
# no job was handed to it. SIGTERM while it waits (tornade recycling it) ends the wait at once.
# While it waits it warms the runner up: `Runner.Listener --warmup` loads every assembly of the runner and compiles
# its methods, which actions/runner offers for single-use runners "before the machine is made available to the pool"
# (src/Runner.Listener/Runner.cs). It runs without the JIT config (there is none yet) and exits; the runner started
# after the handoff then reads a warm runtime and warm assemblies from the page cache (docs/standby.md "Warm starts").
standby_until="${TORNADE_STANDBY_UNTIL:-}"
warmup_pid=""
readonly NOT_YET=100

# Prints the parameter's value (to the caller's command substitution: never an argument, never a log line). Returns
# NOT_YET when it does not exist yet and this runner is a standby; the AWS CLI's words go to stderr otherwise.
read_parameter() {
  local err rc=0
  err="$(mktemp)"
  ssm get-parameter --name "$1" --with-decryption --query Parameter.Value --output text 2>"$err" || rc=$?
  if (( rc != 0 )) && [[ -n "$standby_until" ]] && grep -q ParameterNotFound "$err"; then
    rc=$NOT_YET
  else
    cat "$err" >&2
  fi
  rm -f "$err"
  return "$rc"
}

if [[ -n "${TORNADE_JITCONFIG_SSM_PARAMETER:-}" ]]; then
  parameter="$TORNADE_JITCONFIG_SSM_PARAMETER"
  if [[ -z "${ACTIONS_RUNNER_INPUT_JITCONFIG:-}" ]]; then
    if [[ -n "$standby_until" ]]; then
      if ! [[ "$standby_until" =~ ^[0-9]+$ ]]; then
        log "TORNADE_STANDBY_UNTIL must be a time in ms since the epoch, got \"${standby_until}\""
        exit "$EXIT_NO_CONFIG"
      fi
      trap 'log "received SIGTERM while waiting as a standby"; if [[ -n "$warmup_pid" ]]; then kill "$warmup_pid" 2>/dev/null || true; fi; exit 143' TERM
      log "standby: waiting for a JIT config in SSM parameter ${parameter}"
      if [[ -x "${runner_home}/bin/Runner.Listener" ]]; then
        (cd "$runner_home" && exec ./bin/Runner.Listener --warmup >/dev/null 2>&1) &
        warmup_pid=$!
      fi
    else
      log "reading the JIT config from SSM parameter ${parameter}"
    fi
    while true; do
      rc=0
      jitconfig="$(read_parameter "$parameter")" || rc=$?
      if (( rc == 0 )); then break; fi
      if (( rc != NOT_YET )); then
        log "could not read SSM parameter ${parameter} (the AWS CLI says why above): no JIT config, no runner"
        exit "$EXIT_NO_CONFIG"
      fi
      if (( $(date +%s%3N) >= standby_until )); then
        log "standby: no job was handed to it by its deadline"
        exit 0
      fi
      # In the background so that a SIGTERM is handled at once, not after the sleep.
      sleep "${TORNADE_STANDBY_POLL_SECONDS:-1}" &
      wait "$!" || true
    done
    # The warm-up is usually long over (it takes seconds, a standby waits minutes); if not, let it finish: it is what
    # makes the runner's own start short. Its failure only costs that speed.
    if [[ -n "$warmup_pid" ]] && ! wait "$warmup_pid"; then
      log "warning: the runner warm-up failed; starting the runner cold"
    fi
    trap - TERM
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
