#!/usr/bin/env bash
# A local Switchboard cluster on 127.0.0.1: nginx (deploy/nginx.conf) in front of N nodes
# (cluster.mode=redis, --dev) over the local Redis and one shared MariaDB or PostgreSQL database;
# with CLUSTER_MODE=redis-cluster over a Redis Cluster (deploy/local-redis-cluster.sh starts one).
#
#   deploy/local-cluster.sh start            build nothing; start nodes and nginx; print the URL
#   deploy/local-cluster.sh status           pids, readiness of every node, nginx
#   deploy/local-cluster.sh stop             SIGTERM everything (graceful), SIGKILL what is left after 20 s
#   deploy/local-cluster.sh restart-node I   graceful restart of node I (1..N), waits until it is ready
#   deploy/local-cluster.sh kill-node I      SIGKILL node I (start it again with start-node I)
#   deploy/local-cluster.sh start-node I     start node I (if it is not running) and wait until ready
#   deploy/local-cluster.sh rolling-restart  restart-node 1..N, one after another
#   deploy/local-cluster.sh clean            stop, drop the database, delete the Redis keys, remove the run dir
#   deploy/local-cluster.sh nginx-config LISTEN NODE...   print deploy/nginx.conf rendered for these addresses
#
# Settings (environment; `start` records them in the run directory, the other commands reuse them):
#   SWITCHBOARD_RUN_DIR  logs, pids, nginx prefix, node data     [/tmp/switchboard-local-cluster]
#   CLUSTER_PORT         nginx port: the URL clients use           [8080]
#   NODE_BASE_PORT       node I listens on NODE_BASE_PORT+I-1       [8081]
#   NODES                number of nodes                            [3]
#   STORE                mariadb | postgresql                       [mariadb]
#   DB_NAME              database created on 127.0.0.1 if missing   [switchboard_local]
#   STORE_URL            JDBC URL; when set, no database is created [jdbc:<STORE>://127.0.0.1/<DB_NAME>?user=root]
#   REDIS_URI            Redis the nodes share                      [redis://127.0.0.1:6379]
#   CLUSTER_MODE         redis | redis-cluster (REDIS_URI then names Redis Cluster nodes) [redis]
#   KEY_PREFIX           Redis key prefix of this cluster           [switchboard-local]
#   JAVA_OPTS            node JVM options                           [-Xmx256m]
#   SWITCHBOARD_JAR      the server jar                             [switchboard-server/target/switchboard.jar]
# Needs: java 17+, nginx (apt-get install nginx), redis-cli, curl, and the mariadb or psql client.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TEMPLATE="$ROOT/deploy/nginx.conf"
RUN_DIR=${SWITCHBOARD_RUN_DIR:-/tmp/switchboard-local-cluster}
SETTINGS="$RUN_DIR/cluster.env"

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*"; }

# deploy/nginx.conf → stdout: comment lines unchanged; @@LISTEN@@ replaced; each other line with
# @@NODE@@ repeated once per node.
render_nginx_config() {
  [ $# -ge 2 ] || die "usage: nginx-config LISTEN NODE [NODE...]"
  local listen=$1; shift
  awk -v listen="$listen" -v nodes="$*" '
    BEGIN { count = split(nodes, node, " ") }
    /^[ \t]*#/ { print; next }
    /@@NODE@@/ { for (i = 1; i <= count; i++) { line = $0; gsub(/@@NODE@@/, node[i], line); print line } next }
    { gsub(/@@LISTEN@@/, listen); print }
  ' "$TEMPLATE"
}

load_settings() {
  if [ "${1:-}" != fresh ] && [ -f "$SETTINGS" ]; then
    # shellcheck disable=SC1090
    . "$SETTINGS"
  fi
  CLUSTER_PORT=${CLUSTER_PORT:-8080}
  NODE_BASE_PORT=${NODE_BASE_PORT:-8081}
  NODES=${NODES:-3}
  STORE=${STORE:-mariadb}
  DB_NAME=${DB_NAME:-switchboard_local}
  REDIS_URI=${REDIS_URI:-redis://127.0.0.1:6379}
  CLUSTER_MODE=${CLUSTER_MODE:-redis}
  case "$CLUSTER_MODE" in
    redis | redis-cluster) ;;
    *) die "CLUSTER_MODE must be redis or redis-cluster, not $CLUSTER_MODE" ;;
  esac
  KEY_PREFIX=${KEY_PREFIX:-switchboard-local}
  JAVA_OPTS=${JAVA_OPTS:--Xmx256m}
  SWITCHBOARD_JAR=${SWITCHBOARD_JAR:-$ROOT/switchboard-server/target/switchboard.jar}
  case "$STORE" in
    mariadb) STORE_URL=${STORE_URL:-jdbc:mariadb://127.0.0.1:3306/$DB_NAME?user=root} ;;
    postgresql) STORE_URL=${STORE_URL:-jdbc:postgresql://127.0.0.1:5432/$DB_NAME?user=root} ;;
    *) die "STORE must be mariadb or postgresql, not $STORE" ;;
  esac
}

save_settings() {
  mkdir -p "$RUN_DIR"
  {
    for name in CLUSTER_PORT NODE_BASE_PORT NODES STORE DB_NAME STORE_URL REDIS_URI CLUSTER_MODE KEY_PREFIX JAVA_OPTS SWITCHBOARD_JAR; do
      printf '%s=%q\n' "$name" "${!name}"
    done
  } >"$SETTINGS"
}

nginx_binary() {
  command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || return 1
}

node_port() { echo $((NODE_BASE_PORT + $1 - 1)); }
# The first Redis of REDIS_URI (a Redis Cluster's URI names several: redis://host1:port1,host2:port2).
first_redis() { echo "${REDIS_URI%%,*}"; }

# Every key of this cluster's prefix; on a Redis Cluster, on each master in turn.
delete_redis_keys() {
  local masters batch=500
  if [ "$CLUSTER_MODE" = redis-cluster ]; then
    masters=$(redis-cli -u "$(first_redis)" cluster nodes 2>/dev/null | awk '$3 ~ /master/ && $3 !~ /fail/ { split($2, a, "@"); print "redis://" a[1] }')
    batch=1 # one DEL may name keys of one slot only
  else
    masters=$REDIS_URI
  fi
  for uri in $masters; do
    redis-cli -u "$uri" --scan --pattern "$KEY_PREFIX:*" | xargs -r -n "$batch" redis-cli -u "$uri" del >/dev/null || true
  done
}
pid_of() { [ -f "$1" ] && cat "$1" 2>/dev/null || true; }
alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
ready() { curl -fsS --max-time 2 "http://127.0.0.1:$1/health/ready" >/dev/null 2>&1; }

check_tools() {
  command -v java >/dev/null || die "java not found (install a JDK 17+)"
  nginx_binary >/dev/null || die "nginx not found: apt-get install nginx (only the binary is used; the default site is never started)"
  command -v curl >/dev/null || die "curl not found: apt-get install curl"
  command -v redis-cli >/dev/null || die "redis-cli not found: apt-get install redis-tools"
  [ -f "$SWITCHBOARD_JAR" ] || die "$SWITCHBOARD_JAR not found: build it with ./mvnw -B -q -Pquick install"
}

create_database() {
  if [[ "$STORE_URL" != *"/$DB_NAME?"* ]]; then
    say "STORE_URL given: using $STORE_URL as it is"
    return
  fi
  case "$STORE" in
    mariadb)
      command -v mariadb >/dev/null || die "mariadb client not found: apt-get install mariadb-client"
      mariadb -h 127.0.0.1 -P 3306 -u root -e "CREATE DATABASE IF NOT EXISTS \`$DB_NAME\`" \
        || die "cannot reach MariaDB on 127.0.0.1:3306 as root (see shared/STACK.md to start it)" ;;
    postgresql)
      command -v psql >/dev/null || die "psql not found: apt-get install postgresql-client"
      if ! psql -h 127.0.0.1 -U root -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'" | grep -q 1; then
        psql -h 127.0.0.1 -U root -d postgres -qc "CREATE DATABASE \"$DB_NAME\"" \
          || die "cannot create $DB_NAME on PostgreSQL 127.0.0.1:5432 as root"
      fi ;;
  esac
}

drop_database() {
  [[ "$STORE_URL" == *"/$DB_NAME?"* ]] || return 0
  case "$STORE" in
    mariadb) mariadb -h 127.0.0.1 -P 3306 -u root -e "DROP DATABASE IF EXISTS \`$DB_NAME\`" || true ;;
    postgresql) psql -h 127.0.0.1 -U root -d postgres -qc "DROP DATABASE IF EXISTS \"$DB_NAME\"" || true ;;
  esac
}

start_node() {
  local index=$1 port pidfile pid
  port=$(node_port "$index")
  pidfile="$RUN_DIR/node$index.pid"
  pid=$(pid_of "$pidfile")
  if alive "$pid"; then
    say "node $index already running (pid $pid, port $port)"
    return
  fi
  port_busy "$port" && die "port $port (node $index) is taken by another process"
  port_busy "$((port + 1000))" && die "API port $((port + 1000)) (node $index) is taken by another process"
  mkdir -p "$RUN_DIR/node$index"
  # shellcheck disable=SC2086
  SWITCHBOARD_CLUSTER_MODE="$CLUSTER_MODE" \
  SWITCHBOARD_CLUSTER_NODE_ID="node-$index" \
  SWITCHBOARD_CLUSTER_KEY_PREFIX="$KEY_PREFIX" \
  SWITCHBOARD_CLUSTER_REDIS_URI="$REDIS_URI" \
  SWITCHBOARD_STORE_URL="$STORE_URL" \
    nohup java $JAVA_OPTS -jar "$SWITCHBOARD_JAR" --dev --host 127.0.0.1 --port "$port" \
      --api-port "$((port + 1000))" --data-dir "$RUN_DIR/node$index/data" >>"$RUN_DIR/node$index.log" 2>&1 </dev/null &
  echo $! >"$pidfile"
}

await_node_ready() {
  local index=$1 port pid deadline
  port=$(node_port "$index")
  pid=$(pid_of "$RUN_DIR/node$index.pid")
  deadline=$((SECONDS + 90))
  until ready "$port"; do
    if ! alive "$pid"; then
      tail -n 30 "$RUN_DIR/node$index.log" >&2 || true
      die "node $index exited during start-up (log: $RUN_DIR/node$index.log)"
    fi
    [ $SECONDS -lt $deadline ] || die "node $index not ready after 90 s (log: $RUN_DIR/node$index.log)"
    sleep 0.5
  done
  say "node $index ready on 127.0.0.1:$port (pid $pid; API, admin page and metrics on 127.0.0.1:$((port + 1000)))"
}

# SIGTERM, then waits up to 20 s (readiness off, 1012 to every client, store flushed); SIGKILL after.
stop_pid() {
  local name=$1 pid=$2 deadline
  alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 20))
  while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
  if alive "$pid"; then
    say "$name (pid $pid) still running after 20 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

stop_node() {
  local index=$1
  stop_pid "node $index" "$(pid_of "$RUN_DIR/node$index.pid")"
  rm -f "$RUN_DIR/node$index.pid"
}

start_nginx() {
  local prefix="$RUN_DIR/nginx" nodes=() nginx pid
  nginx=$(nginx_binary)
  pid=$(pid_of "$prefix/nginx.pid")
  if alive "$pid"; then
    say "nginx already running (pid $pid)"
    return
  fi
  port_busy "$CLUSTER_PORT" && die "port $CLUSTER_PORT (nginx) is taken by another process"
  for ((i = 1; i <= NODES; i++)); do nodes+=("127.0.0.1:$(node_port "$i")"); done
  mkdir -p "$prefix"
  render_nginx_config "127.0.0.1:$CLUSTER_PORT" "${nodes[@]}" >"$prefix/nginx.conf"
  "$nginx" -q -t -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" || die "invalid $prefix/nginx.conf"
  "$nginx" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log"
  say "nginx on 127.0.0.1:$CLUSTER_PORT (config $prefix/nginx.conf, logs $prefix/*.log)"
}

stop_nginx() {
  local prefix="$RUN_DIR/nginx"
  stop_pid nginx "$(pid_of "$prefix/nginx.pid")"
}

cmd_start() {
  load_settings fresh
  check_tools
  redis-cli -u "$(first_redis)" ping >/dev/null 2>&1 || die "Redis at $REDIS_URI does not answer (see shared/STACK.md to start it)"
  create_database
  save_settings
  for ((i = 1; i <= NODES; i++)); do start_node "$i"; done
  for ((i = 1; i <= NODES; i++)); do await_node_ready "$i"; done
  start_nginx
  echo
  echo "Switchboard cluster: http://127.0.0.1:$CLUSTER_PORT/   (WebSocket ws://127.0.0.1:$CLUSTER_PORT/ws?user=alice)"
  echo "  $NODES nodes on 127.0.0.1:$(node_port 1)..$(node_port "$NODES"), store $STORE_URL, Redis $REDIS_URI prefix $KEY_PREFIX"
  echo "  run directory $RUN_DIR; stop with: $0 stop"
}

cmd_status() {
  load_settings
  local pid port state running=0
  echo "run directory: $RUN_DIR"
  for ((i = 1; i <= NODES; i++)); do
    pid=$(pid_of "$RUN_DIR/node$i.pid"); port=$(node_port "$i")
    if alive "$pid"; then
      running=$((running + 1))
      state=$(curl -sS --max-time 2 "http://127.0.0.1:$port/health/ready" 2>/dev/null || echo "no answer")
      echo "node $i  pid $pid  127.0.0.1:$port  $state"
    else
      echo "node $i  stopped            127.0.0.1:$port"
    fi
  done
  pid=$(pid_of "$RUN_DIR/nginx/nginx.pid")
  if alive "$pid"; then
    running=$((running + 1))
    echo "nginx   pid $pid  http://127.0.0.1:$CLUSTER_PORT/"
  else
    echo "nginx   stopped"
  fi
  [ "$running" -gt 0 ]
}

cmd_stop() {
  load_settings
  stop_nginx
  for ((i = 1; i <= NODES; i++)); do stop_node "$i" & done
  wait
  say "stopped (logs kept in $RUN_DIR)"
}

node_index() {
  [[ "${1:-}" =~ ^[0-9]+$ ]] && [ "$1" -ge 1 ] && [ "$1" -le "$NODES" ] || die "node index must be 1..$NODES"
  echo "$1"
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  start-node) load_settings; i=$(node_index "${2:-}"); start_node "$i"; await_node_ready "$i" ;;
  restart-node) load_settings; i=$(node_index "${2:-}"); stop_node "$i"; start_node "$i"; await_node_ready "$i" ;;
  kill-node)
    load_settings; i=$(node_index "${2:-}"); pid=$(pid_of "$RUN_DIR/node$i.pid")
    if alive "$pid"; then
      kill -KILL "$pid"
      for _ in $(seq 50); do alive "$pid" || break; sleep 0.1; done
      rm -f "$RUN_DIR/node$i.pid"
      say "node $i (pid $pid) killed"
    else
      say "node $i is not running"
    fi ;;
  rolling-restart)
    load_settings
    for ((i = 1; i <= NODES; i++)); do stop_node "$i"; start_node "$i"; await_node_ready "$i"; done ;;
  clean)
    load_settings; cmd_stop
    drop_database
    delete_redis_keys
    rm -rf "$RUN_DIR"
    say "database, Redis keys ($KEY_PREFIX:*) and $RUN_DIR removed" ;;
  nginx-config) shift; render_nginx_config "$@" ;;
  *) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
