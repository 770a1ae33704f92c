#!/usr/bin/env bash
# kafka-aws test launcher, not Apache's: environment shared by zkServer.sh and zkCli.sh
# (ZOOCFGDIR, ZOO_LOG_DIR, JAVA_HOME, JVMFLAGS, SERVER_JVMFLAGS, CLIENT_JVMFLAGS).
ZOOBINDIR=${ZOOBINDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)}
ZOOKEEPER_PREFIX=$(cd "$ZOOBINDIR/.." && pwd)
ZOOCFGDIR=${ZOOCFGDIR:-$ZOOKEEPER_PREFIX/conf}
ZOOCFG=${ZOOCFG:-zoo.cfg}
ZOO_LOG_DIR=${ZOO_LOG_DIR:-$ZOOKEEPER_PREFIX/logs}
if [ -n "$JAVA_HOME" ]; then JAVA="$JAVA_HOME/bin/java"; else JAVA=java; fi
CLASSPATH="$ZOOCFGDIR:$ZOOKEEPER_PREFIX/lib/*${CLASSPATH:+:$CLASSPATH}"
ZOO_LOGBACK="-Dlogback.configurationFile=file:$ZOOCFGDIR/logback.xml -Dzookeeper.log.dir=$ZOO_LOG_DIR"
