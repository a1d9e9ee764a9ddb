#!/usr/bin/env bash
# A local Redis Cluster on 127.0.0.1 for trying cluster.mode=redis-cluster: MASTERS masters, each
# with REPLICAS replicas, nothing persisted, in a run directory of its own. The shared Redis on 6379
# is not touched.
#
#   deploy/local-redis-cluster.sh start    start the processes, form the cluster, print the redisUri
#   deploy/local-redis-cluster.sh status   CLUSTER INFO and CLUSTER NODES of the first node
#   deploy/local-redis-cluster.sh uri      print the cluster.redisUri that names the masters
#   deploy/local-redis-cluster.sh stop     SHUTDOWN NOSAVE every node, remove the run directory
#
# Settings (environment):
#   REDIS_CLUSTER_DIR   logs, pids, state files            [/tmp/switchboard-redis-cluster]
#   REDIS_BASE_PORT     node I listens on REDIS_BASE_PORT+I [7000]; its cluster bus on +10000
#   MASTERS / REPLICAS  masters, and replicas per master    [3 / 0]
#
# Then, for example: CLUSTER_MODE=redis-cluster REDIS_URI=$(deploy/local-redis-cluster.sh uri) deploy/local-cluster.sh start
# Needs: redis-server and redis-cli 7.0 or later (apt-get install redis-server).
set -euo pipefail

DIR=${REDIS_CLUSTER_DIR:-/tmp/switchboard-redis-cluster}
BASE=${REDIS_BASE_PORT:-7000}
MASTERS=${MASTERS:-3}
REPLICAS=${REPLICAS:-0}
COUNT=$((MASTERS * (1 + REPLICAS)))

die() { echo "local-redis-cluster: $*" >&2; exit 1; }

ports() { for ((i = 0; i < COUNT; i++)); do echo $((BASE + i)); done; }

uri() {
  local hosts=()
  for ((i = 0; i < MASTERS; i++)); do hosts+=("127.0.0.1:$((BASE + i))"); done
  (IFS=,; echo "redis://${hosts[*]}")
}

start() {
  command -v redis-server >/dev/null || die "redis-server not found: apt-get install redis-server"
  mkdir -p "$DIR"
  for port in $(ports); do
    if redis-cli -p "$port" ping >/dev/null 2>&1; then
      die "port $port already answers PING (stop it, or set REDIS_BASE_PORT)"
    fi
    mkdir -p "$DIR/$port"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$DIR/$port" \
      --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --daemonize yes --pidfile "$DIR/$port/redis.pid" --logfile "$DIR/$port/redis.log"
  done
  for port in $(ports); do
    for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  done
  local nodes=()
  for port in $(ports); do nodes+=("127.0.0.1:$port"); done
  # --cluster create makes the first MASTERS nodes masters and the rest their replicas.
  redis-cli --cluster create "${nodes[@]}" --cluster-replicas "$REPLICAS" --cluster-yes >"$DIR/create.log" \
    || die "forming the cluster failed: $DIR/create.log"
  for _ in $(seq 100); do
    redis-cli -p "$BASE" cluster info | grep -q 'cluster_state:ok' && break
    sleep 0.1
  done
  redis-cli -p "$BASE" cluster info | grep -q 'cluster_state:ok' || die "the cluster did not reach cluster_state:ok"
  for _ in $(seq 100); do
    [ "$(redis-cli -p "$BASE" cluster nodes | grep -c ' slave ')" -eq $((MASTERS * REPLICAS)) ] && break
    sleep 0.1
  done
  echo "local-redis-cluster: $MASTERS masters, $REPLICAS replicas each, on 127.0.0.1:$BASE..$((BASE + COUNT - 1))"
  echo "  cluster.redisUri: $(uri)"
}

stop() {
  for port in $(ports); do
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
  done
  rm -rf "$DIR"
}

case "${1:-}" in
  start) start ;;
  status) redis-cli -p "$BASE" cluster info | head -3; redis-cli -p "$BASE" cluster nodes ;;
  uri) uri ;;
  stop) stop ;;
  *) sed -n '2,18p' "$0"; exit 2 ;;
esac
