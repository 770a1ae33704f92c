#!/usr/bin/env bash
# kafka-aws test launcher, not Apache's: `zkServer.sh {start|start-foreground|stop|status|restart} [zoo.cfg]`
# with the same interface as ZooKeeper's own script.
. "$(dirname "$0")/zkEnv.sh"
if [ -n "$2" ]; then
  ZOOCFG=$2
  case "$ZOOCFG" in /*) ;; *) ZOOCFG="$ZOOCFGDIR/$ZOOCFG" ;; esac
else
  ZOOCFG="$ZOOCFGDIR/$ZOOCFG"
fi
if [ ! -f "$ZOOCFG" ]; then
  echo "Invalid config, exiting abnormally: $ZOOCFG not found" >&2
  exit 1
fi
cfg() { sed -n "s/^[[:space:]]*$1[[:space:]]*=[[:space:]]*//p" "$ZOOCFG" | tail -n 1; }
ZOO_DATADIR=$(cfg dataDir)
ZOOPIDFILE=${ZOOPIDFILE:-$ZOO_DATADIR/zookeeper_server.pid}
MAIN=org.apache.zookeeper.server.quorum.QuorumPeerMain
SERVER_HEAP=${ZK_SERVER_HEAP:-1000}
run_server() {
  # shellcheck disable=SC2086
  "$JAVA" "-Xmx${SERVER_HEAP}m" $ZOO_LOGBACK $SERVER_JVMFLAGS $JVMFLAGS -cp "$CLASSPATH" $MAIN "$ZOOCFG"
}
case "$1" in
  start-foreground)
    # shellcheck disable=SC2086
    exec "$JAVA" "-Xmx${SERVER_HEAP}m" $ZOO_LOGBACK $SERVER_JVMFLAGS $JVMFLAGS -cp "$CLASSPATH" $MAIN "$ZOOCFG"
    ;;
  start)
    mkdir -p "$ZOO_LOG_DIR"
    if [ -f "$ZOOPIDFILE" ] && kill -0 "$(cat "$ZOOPIDFILE")" 2>/dev/null; then
      echo "already running as process $(cat "$ZOOPIDFILE")."
      exit 1
    fi
    run_server >"$ZOO_LOG_DIR/zookeeper.out" 2>&1 </dev/null &
    echo $! >"$ZOOPIDFILE"
    echo STARTED
    ;;
  stop)
    if [ ! -f "$ZOOPIDFILE" ]; then
      echo "no zookeeper to stop (could not find file $ZOOPIDFILE)"
      exit 0
    fi
    kill "$(cat "$ZOOPIDFILE")" 2>/dev/null || true
    rm -f "$ZOOPIDFILE"
    echo STOPPED
    ;;
  restart)
    "$0" stop "$ZOOCFG"
    sleep 1
    "$0" start "$ZOOCFG"
    ;;
  status)
    port=$(cfg clientPort)
    host=$(cfg clientPortAddress)
    # shellcheck disable=SC2086
    mode=$("$JAVA" $ZOO_LOGBACK -cp "$CLASSPATH" org.apache.zookeeper.client.FourLetterWordMain \
      "${host:-localhost}" "${port:-2181}" srvr 2>/dev/null | sed -n 's/^Mode: //p')
    if [ -z "$mode" ]; then
      echo "Error contacting service. It is probably not running."
      exit 1
    fi
    echo "Client port found: ${port:-2181}. Client address: ${host:-localhost}."
    echo "Mode: $mode"
    ;;
  *)
    echo "Usage: $0 {start|start-foreground|stop|status|restart} [config]" >&2
    exit 1
    ;;
esac
