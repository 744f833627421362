#!/usr/bin/env bash
# A real single-node Apache Kafka broker (KRaft, broker+controller in one JVM)
# for development and CI. There is no Docker here and no way to download the
# Kafka tarball, so the broker and its CLI tools come from Maven Central as
# plain jars (scripts/kafka/pom.xml) and run with `java -cp`.
#
#   scripts/kafka-local.sh start     # prints the bootstrap address on its last line
#   scripts/kafka-local.sh stop
#   scripts/kafka-local.sh status    # exit 0 running, 1 stopped
#   scripts/kafka-local.sh run <main-class> [args...]   # any Kafka CLI class, e.g.
#       run org.apache.kafka.tools.TopicCommand --bootstrap-server 127.0.0.1:9092 --list
#
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_START_TIMEOUT (60 s),
#      KAFKA_HEAP_OPTS (-Xmx512m -Xms256m), KAFKA_CACHE_DIR (<repo>/.cache/kafka),
#      KAFKA_STATE_DIR (<cache>/state: data, logs, pid; another one runs a second broker).
# Needs: java 17+, mvn (first start only).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
POM="$ROOT/scripts/kafka/pom.xml"
CACHE="${KAFKA_CACHE_DIR:-$ROOT/.cache/kafka}"
LIB="$CACHE/lib"
STATE="${KAFKA_STATE_DIR:-$CACHE/state}"
PIDFILE="$STATE/kafka.pid"
LOG="$STATE/server.log"
PORT="${KAFKA_PORT:-9092}"
CPORT="${KAFKA_CONTROLLER_PORT:-9093}"
ADDR="127.0.0.1:$PORT"

log() { echo "kafka-local: $*" >&2; }

fetch() {
  # Stamp = hash of the pom, so a version bump refetches and nothing else does.
  local stamp
  stamp="$(sha1sum "$POM" | cut -d' ' -f1)"
  [[ -f "$LIB/.stamp" && "$(cat "$LIB/.stamp")" == "$stamp" ]] && return 0
  log "fetching Kafka jars with Maven (first run only)..."
  rm -rf "$LIB.tmp"
  # Debian's Maven 3.8 emits bare ANSI resets (on both streams) even with -q -B.
  mvn -q -B -f "$POM" dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$LIB.tmp" 2>&1 |
    sed -u 's/\x1b\[[0-9;]*m//g; /^$/d' >&2
  # Swap in whole: an interrupted fetch must never look like a complete lib/.
  echo "$stamp" >"$LIB.tmp/.stamp"
  rm -rf "$LIB"
  mv "$LIB.tmp" "$LIB"
}

write_log_configs() {
  mkdir -p "$STATE"
  # Tools log WARN+ to stderr so their stdout (topic lists, consumed records) stays clean.
  local f name level target
  for f in broker:info:SYSTEM_OUT tools:warn:SYSTEM_ERR; do
    IFS=: read -r name level target <<<"$f"
    cat >"$STATE/log4j2-$name.properties" <<EOF
status = error
appender.out.type = Console
appender.out.name = out
appender.out.target = $target
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = $level
rootLogger.appenderRef.out.ref = out
EOF
  done
}

write_server_config() {
  mkdir -p "$STATE/data"
  # Rewritten on every start so KAFKA_PORT/KAFKA_CONTROLLER_PORT changes take effect.
  # A static voter set (controller.quorum.voters) needs no `format --standalone`
  # and no quorum bootstrapping; that is all a one-node dev cluster wants.
  cat >"$STATE/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$CPORT
listeners=PLAINTEXT://127.0.0.1:$PORT,CONTROLLER://127.0.0.1:$CPORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
log.dirs=$STATE/data
num.partitions=1
# Topics must be created explicitly: silently auto-created 1-partition topics
# would skew any load test that meant to use several partitions.
auto.create.topics.enable=false
# One broker: internal topics cannot have the default replication factor 3.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Fewer internal partitions = faster first consumer-group join on 2 cores.
offsets.topic.num.partitions=4
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
EOF
}

# A Kafka CLI main class on the cached classpath (an array so `timeout` can run it).
TOOL=(java -Dlog4j2.configurationFile="$STATE/log4j2-tools.properties" -cp "$LIB/*")

# The address of the running broker, which may differ from this shell's KAFKA_PORT.
running_addr() {
  sed -n 's|^advertised.listeners=PLAINTEXT://||p' "$STATE/server.properties"
}

running() {
  local pid
  [[ -f "$PIDFILE" ]] || return 1
  pid="$(cat "$PIDFILE")"
  # Check the command line too, so a stale pid reused by another process doesn't count.
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null &&
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka '
}

start() {
  if running; then running_addr; return 0; fi
  # Otherwise the readiness probe below could be answered by someone else's broker.
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    log "port $PORT is already in use by another process"; exit 1
  fi
  fetch
  write_log_configs
  write_server_config
  if [[ ! -f "$STATE/data/meta.properties" ]]; then
    # The cluster id is kept so a wiped data dir is re-formatted into the same cluster.
    [[ -s "$STATE/cluster.id" ]] || "${TOOL[@]}" kafka.tools.StorageTool random-uuid >"$STATE/cluster.id"
    "${TOOL[@]}" kafka.tools.StorageTool format -t "$(cat "$STATE/cluster.id")" \
      -c "$STATE/server.properties" >&2
  fi
  rm -f "$PIDFILE"
  # setsid: the broker gets its own session, so Ctrl-C or a CI step tearing down
  # its process group doesn't kill it; only `stop` does. The inner shell writes
  # its own pid and then execs java, so the pid file names the JVM itself.
  # shellcheck disable=SC2086,SC2016
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PIDFILE" \
    java ${KAFKA_HEAP_OPTS:--Xmx512m -Xms256m} -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$STATE/log4j2-broker.properties" \
    -cp "$LIB/*" kafka.Kafka "$STATE/server.properties" >"$LOG" 2>&1 </dev/null &

  # Ready = a real Admin API round-trip succeeds; an open port alone does not
  # prove the broker already serves metadata and can create topics.
  local deadline=$((SECONDS + ${KAFKA_START_TIMEOUT:-60}))
  sleep 0.5
  until (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null &&
    timeout 20 "${TOOL[@]}" org.apache.kafka.tools.TopicCommand --bootstrap-server "$ADDR" --list >/dev/null 2>&1; do
    if ! running || ((SECONDS >= deadline)); then
      log "broker did not become ready on $ADDR; last 40 lines of $LOG:"
      tail -n 40 "$LOG" >&2 || true
      stop >/dev/null || true
      exit 1
    fi
    sleep 0.5
  done
  log "broker up (pid $(cat "$PIDFILE")), log: $LOG"
  echo "$ADDR"
}

stop() {
  if running; then
    local pid i
    pid="$(cat "$PIDFILE")"
    kill -TERM "$pid"
    # SIGTERM triggers a controlled shutdown (flushes logs, clean-shutdown marker),
    # which makes the next start skip log recovery; SIGKILL only as a last resort.
    for ((i = 0; i < 150; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "broker still alive after 30 s, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$PIDFILE"
  echo stopped
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if running; then echo "running pid=$(cat "$PIDFILE") $(running_addr)"; else echo stopped; exit 1; fi ;;
  run)
    shift
    [[ $# -ge 1 ]] || { log "usage: $0 run <main-class> [args...]"; exit 2; }
    fetch
    write_log_configs
    exec "${TOOL[@]}" "$@" ;;
  *) echo "usage: $0 start|stop|status|run <main-class> [args...]" >&2; exit 2 ;;
esac
