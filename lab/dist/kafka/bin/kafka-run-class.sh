#!/usr/bin/env bash
# kafka-aws test launcher, not Apache's: same name and interface as Kafka's kafka-run-class.sh
# (KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS, KAFKA_LOG4J_OPTS, LOG_DIR, JAVA_HOME,
# -daemon, -name), for distributions assembled from Maven Central jars.
set -e
if [ $# -lt 1 ]; then
  echo "USAGE: $0 [-daemon] [-name servicename] classname [opts]" >&2
  exit 1
fi
base_dir=$(cd "$(dirname "$0")/.." && pwd)
daemon_mode=false
console_output_file=
while [ $# -gt 0 ]; do
  case "$1" in
    -daemon) daemon_mode=true; shift ;;
    -name) daemon_name=$2; shift 2 ;;
    -loggc) shift ;;
    *) break ;;
  esac
done
LOG_DIR=${LOG_DIR:-$base_dir/logs}
mkdir -p "$LOG_DIR" 2>/dev/null || true
if [ -z "$KAFKA_LOG4J_OPTS" ]; then
  KAFKA_LOG4J_OPTS="@LOG4J_FLAG@=file:$base_dir/config/@TOOLS_LOG4J@"
fi
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx256M}
KAFKA_JVM_PERFORMANCE_OPTS=${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true}
if [ -n "$JAVA_HOME" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
CLASSPATH="$base_dir/libs/*${CLASSPATH:+:$CLASSPATH}"
# shellcheck disable=SC2086
set -- $KAFKA_HEAP_OPTS $KAFKA_JVM_PERFORMANCE_OPTS "-Dkafka.logs.dir=$LOG_DIR" $KAFKA_LOG4J_OPTS -cp "$CLASSPATH" $KAFKA_OPTS "$@"
if [ "$daemon_mode" = true ]; then
  console_output_file="$LOG_DIR/${daemon_name:-kafka}.out"
  nohup "$JAVA" "$@" >"$console_output_file" 2>&1 </dev/null &
else
  exec "$JAVA" "$@"
fi
