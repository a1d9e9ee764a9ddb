#!/usr/bin/env bash
# A smoke run of every benchmark scenario against every target: seconds each, no thresholds — it
# checks that the harness, the load generator and the peers work, it does not measure anything.
# Maven runs this in the integration-test phase of the bench module. Without Node (peers) or
# Redis/MariaDB (cluster scenarios) those parts are skipped loudly, except under CI=true, where
# anything missing is a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ci=${CI:-false}
cd "$root"

missing() {
  if [ "$ci" = "true" ]; then
    echo "ERROR: $1 — required under CI=true" >&2
    exit 1
  fi
  echo "" >&2
  echo "!!!!!!!! SKIPPED: $1 !!!!!!!!" >&2
  echo "" >&2
}

targets=switchboard
if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  (
    cd bench/peers
    if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
      npm ci --no-audit --no-fund --loglevel=error
    fi
  )
  targets=switchboard,bun,ws,socketio
else
  missing "node/npm not found: benchmark peers (ws, Bun, Socket.IO) not smoke-tested"
fi

scenarios=idle,handshake,latency,fanout,group,throughput
if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && (exec 3<>/dev/tcp/127.0.0.1/3306) 2>/dev/null \
    && command -v mariadb >/dev/null 2>&1; then
  scenarios=$scenarios,cluster,scale
else
  missing "Redis on 6379 or MariaDB on 3306 (with the mariadb client) not reachable: cluster benchmark scenarios not smoke-tested"
fi

java -jar bench/target/switchboard-bench.jar run --smoke --out bench/target/smoke \
  --targets "$targets" --scenarios "$scenarios"
