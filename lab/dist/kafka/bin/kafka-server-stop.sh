#!/usr/bin/env bash
# kafka-aws test launcher, not Apache's: stops the broker(s) started from this installation.
pids=$(pgrep -f 'kafka\.Kafka' || true)
if [ -z "$pids" ]; then
  echo "No kafka server to stop" >&2
  exit 1
fi
# shellcheck disable=SC2086
kill -s TERM $pids
