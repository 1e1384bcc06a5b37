#!/usr/bin/env bash
# The Node-sensitive tests on Node 24 (the main run is on Node 20): transports (node:http2, TLS, sockets),
# the APNs/FCM senders, the fake provider, the engine, the classifier, the firebase-admin adapter (with the
# main install's firebase-admin 13), the CLI and the BullMQ adapter (on the Redis .ci/run started, through
# REDIS_URL). The built package (dist/) comes from the main run.
# Not here, to keep CI short: the queue acceptance run with worker processes (85 s), the chaos runs and the
# README checks (the whole suite passed on Node 24.21 by hand on 2026-12-04). The Node 24 binary is the
# registry's `node` package, from .ci/node24/'s lock file.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$(date +%s)
npm ci --prefix .ci/node24 --no-audit --no-fund --loglevel=error
node_bin=.ci/node24/node_modules/node/bin/node
version=$("$node_bin" -p 'process.versions.node')
[ "${version%%.*}" = 24 ] || { echo "compat-node: expected Node 24, got $version" >&2; exit 1; }
echo "compat-node: Node $version"
"$node_bin" node_modules/vitest/vitest.mjs run --config test/vitest.config.ts \
  test/transport test/apns test/fcm test/testing test/engine test/classify test/catalog test/policies \
  test/firebase-admin test/cli test/demo test/redact.test.ts test/bullmq --exclude test/bullmq/acceptance.test.ts \
  || { echo "compat-node: the tests fail on Node $version" >&2; exit 1; }
echo "compat-node: Node $version passed in $(($(date +%s) - t0)) s"
