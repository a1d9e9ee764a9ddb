#!/usr/bin/env bash
# The JavaScript client's tests (Node's test runner) and the browser tests (Playwright + Debian
# chromium), both against the server jar this build just made. Maven runs this in the
# integration-test phase of switchboard-server, so `./mvnw verify` runs every test there is.
# Without Node or chromium the affected suites are skipped loudly, except under CI=true, where
# anything missing is a failure.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
ci=${CI:-false}

missing() {
  if [ "$ci" = "true" ]; then
    echo "ERROR: $1 — required under CI=true" >&2
    exit 1
  fi
  echo "" >&2
  echo "!!!!!!!! SKIPPED: $1 !!!!!!!!" >&2
  echo "" >&2
}

install_packages() {
  # npm ci only when the lock file changed since the last install.
  if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error
  fi
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  missing "node/npm not found: JavaScript client and browser tests not run (install Node 20+)"
  exit 0
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  missing "Node $node_major is too old (need 20+): JavaScript client and browser tests not run"
  exit 0
fi

echo "== JavaScript client tests (clients/js)"
cd "$root/clients/js"
install_packages
npm test

echo "== Browser tests (e2e)"
if [ ! -x /usr/bin/chromium ]; then
  missing "/usr/bin/chromium not found: browser tests not run (apt-get install chromium)"
  exit 0
fi
cd "$root/e2e"
install_packages
npm test
