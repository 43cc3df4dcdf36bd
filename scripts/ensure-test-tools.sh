#!/usr/bin/env bash
# The Debian packages the tests need besides Node: Chromium (the dashboard's browser test) and shellcheck (the runner
# image's scripts). Installs whichever is missing with apt-get (as root), so `npm test` works on a fresh machine.
set -euo pipefail
missing=()
command -v chromium >/dev/null || missing+=(chromium)
command -v shellcheck >/dev/null || missing+=(shellcheck)
if [[ ${#missing[@]} -eq 0 ]]; then
  exit 0
fi
if [[ "$(id -u)" -ne 0 ]] || ! command -v apt-get >/dev/null; then
  echo "tornade tests need: ${missing[*]}. Fix: install them (Debian: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "installing ${missing[*]} for the tests (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
