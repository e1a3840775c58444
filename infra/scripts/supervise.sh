#!/usr/bin/env bash
# supervise.sh COMMAND...: runs COMMAND and starts it again a second after it fails (a crash, a
# kill -9), as FastCGISupervisor does for functions. SIGTERM or SIGINT is passed on to COMMAND
# and ends the loop once it has exited; so does COMMAND exiting 0 (a worker does that only when
# told to stop, e.g. Ctrl-C reaching it directly). lib.sh's start_worker runs each worker so.
set -uo pipefail
stopping="" child=""
trap 'stopping=1; [ -z "$child" ] || kill -TERM "$child" 2>/dev/null' TERM INT
while [ -z "$stopping" ]; do
  "$@" &
  child=$!
  wait "$child"
  status=$?
  # wait returns early when a signal arrives; keep waiting until COMMAND has exited.
  while kill -0 "$child" 2>/dev/null; do
    wait "$child"
    status=$?
  done
  child=""
  [ -n "$stopping" ] || [ "$status" -eq 0 ] && break
  printf '{"level":"warning","component":"supervise","msg":"%s exited with status %s; starting it again"}\n' \
    "${*: -1}" "$status" >&2
  sleep 1 &
  wait $!  # a signal ends this wait at once
done
