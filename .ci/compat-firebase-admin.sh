#!/usr/bin/env bash
# Compatibility run of the firebase-admin adapter: its tests under Node 22 with firebase-admin 14
# (the main run covers Node 20 with firebase-admin 13). Both come from the npm registry into .ci/compat/
# (the `node` package ships the Node 22 binary); the tests load firebase-admin from there through
# PUSHBACK_FIREBASE_ADMIN_FROM (test/helpers/firebase-admin.ts). Fails loudly on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
COMPAT=.ci/compat

echo "compat: installing firebase-admin 14 and Node 22 into $COMPAT"
npm ci --prefix "$COMPAT" --no-audit --no-fund --loglevel=error

NODE22="$COMPAT/node_modules/node/bin/node"
[ -x "$NODE22" ] || { echo "compat: FAILED: no Node binary at $NODE22" >&2; exit 1; }
node_major=$("$NODE22" -p 'process.versions.node.split(".")[0]')
fa_version=$("$NODE22" -p "JSON.parse(require('fs').readFileSync('$COMPAT/node_modules/firebase-admin/package.json','utf8')).version")
if [ "$node_major" != 22 ] || [ "${fa_version%%.*}" != 14 ]; then
  echo "compat: FAILED: expected Node 22 and firebase-admin 14, got Node $("$NODE22" --version) and firebase-admin $fa_version" >&2
  exit 1
fi

echo "compat: firebase-admin $fa_version on Node $("$NODE22" --version)"
if ! PUSHBACK_FIREBASE_ADMIN_FROM="$COMPAT" PUSHBACK_EXPECT_FIREBASE_ADMIN_MAJOR=14 PUSHBACK_EXPECT_NODE_MAJOR=22 \
  "$NODE22" node_modules/vitest/vitest.mjs run --config test/vitest.config.ts test/firebase-admin; then
  echo "compat: FAILED: the firebase-admin tests fail with firebase-admin $fa_version on Node $("$NODE22" --version)" >&2
  exit 1
fi
echo "compat: passed in $(($(date +%s) - started)) s"
