#!/usr/bin/env bash
# Soak test: the multi-process cluster test (ClusterFailoverIT#soak) for a long stretch — 3 node JVMs
# behind nginx (deploy/nginx.conf), a private redis-server, a fresh MariaDB database, six SDK clients
# sending 80 messages/s — with a failure every INTERVAL seconds, cycling through SIGTERM of a node,
# SIGKILL of a node (started again), a rolling restart of all nodes, and a Redis restart. At the end
# every acknowledged message must have reached every device exactly once, in order.
#
#   deploy/soak.sh [MINUTES] [INTERVAL_SECONDS]        defaults: 30 minutes, a failure every 60 s
#
# Needs what the cluster tests need: JDK 17+, nginx, redis-server, MariaDB on 127.0.0.1:3306.
# Results: switchboard-server/target/cluster-report.md (Markdown table); logs of every process in
# switchboard-server/target/cluster-logs/soak/; the test log in switchboard-server/target/failsafe-reports/.
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-30}
interval=${2:-60}
[[ "$minutes" =~ ^[1-9][0-9]*$ ]] || { echo "MINUTES must be a positive integer" >&2; exit 2; }
[[ "$interval" =~ ^[1-9][0-9]*$ ]] || { echo "INTERVAL_SECONDS must be a positive integer" >&2; exit 2; }

./mvnw -B -q install -Pquick -pl switchboard-protocol,switchboard-client
# failsafe goals directly: no packaging, no JavaScript/browser suites, only the soak.
status=0
./mvnw -B -pl switchboard-server test-compile failsafe:integration-test failsafe:verify \
  -Dit.test='ClusterFailoverIT#soak' -Dfailsafe.failIfNoSpecifiedTests=false \
  -Dsoak.minutes="$minutes" -Dsoak.intervalSeconds="$interval" || status=$?
echo
cat switchboard-server/target/cluster-report.md 2>/dev/null || echo "no report written"
exit $status
