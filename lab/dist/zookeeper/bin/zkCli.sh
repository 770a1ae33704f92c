#!/usr/bin/env bash
# kafka-aws test launcher, not Apache's: `zkCli.sh [-server host:port] [command]`.
. "$(dirname "$0")/zkEnv.sh"
# shellcheck disable=SC2086
exec "$JAVA" $ZOO_LOGBACK -Dzookeeper.log.file=zookeeper-cli.log $CLIENT_JVMFLAGS $JVMFLAGS \
  -cp "$CLASSPATH" org.apache.zookeeper.ZooKeeperMain "$@"
