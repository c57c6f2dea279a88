#!/usr/bin/env bash
# Runs a `callscope-dev` command against the whole local stack, then stops the stack (however
# the command ends):  scripts/with-stack.sh COMMAND [ARGS...]  runs
# `callscope-dev COMMAND <gateway URL> ARGS...`. The stack: scripts/lib.sh's stack_up.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
trap stack_down EXIT
trap 'trap "" INT TERM; exit 130' INT TERM  # a second signal must not cut the cleanup short
stack_up
command=$1
shift
foreground "$DEV" "$command" "$GATEWAY_URL" "$@"
