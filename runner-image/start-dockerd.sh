#!/usr/bin/env bash
# Starts the Docker daemon inside a CodeBuild build that runs in privileged mode, and waits until it answers.
# CodeBuild's own images start dockerd from their entrypoint; a custom image (this one) must start it itself
# ("Docker in custom image sample", AWS CodeBuild User Guide). The actions-runner base image ships dockerd.
set -euo pipefail

log() { printf 'tornade-dockerd: %s\n' "$*" >&2; }

timeout_s="${TORNADE_DOCKERD_TIMEOUT:-30}"
log_file="${TORNADE_DOCKERD_LOG:-/tmp/dockerd.log}"

if docker info >/dev/null 2>&1; then
  log "the Docker daemon is already running"
  exit 0
fi

# Only the Unix socket: a TCP listener would let any process in the build (or network) drive the daemon.
nohup dockerd --host=unix:///var/run/docker.sock >"$log_file" 2>&1 &

for _ in $(seq 1 "$timeout_s"); do
  if docker info >/dev/null 2>&1; then
    log "the Docker daemon is up"
    exit 0
  fi
  sleep 1
done
log "the Docker daemon did not answer within ${timeout_s}s (is the CodeBuild project in privileged mode?); its log:"
tail -n 50 "$log_file" >&2 || true
exit 1
