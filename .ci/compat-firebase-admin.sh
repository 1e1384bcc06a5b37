#!/usr/bin/env bash
# Compatibility runs of the firebase-admin adapter (the main run covers firebase-admin 13 on Node 20):
#   - firebase-admin 14 on Node 22 (.ci/compat/: the `node` package from the npm registry ships the binary)
#   - firebase-admin 12 on the system Node 20 (.ci/compat12/)
# Each installs from its own lock file and runs test/firebase-admin with firebase-admin resolved from
# there through PUSHBACK_FIREBASE_ADMIN_FROM (test/helpers/firebase-admin.ts). Fails loudly on any mismatch.
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)

fail() {
  echo "compat: FAILED: $*" >&2
  exit 1
}

# run_compat DIR NODE_BINARY EXPECTED_FIREBASE_ADMIN_MAJOR EXPECTED_NODE_MAJOR
run_compat() {
  local dir=$1 node_bin=$2 fa_major=$3 node_major=$4 t0 fa_version actual_node
  t0=$(date +%s)
  echo "compat: installing $dir"
  npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  [ -x "$node_bin" ] || node_bin=$(command -v "$node_bin" || true)
  [ -n "$node_bin" ] && [ -x "$node_bin" ] || fail "no Node binary for $dir"
  actual_node=$("$node_bin" -p 'process.versions.node')
  fa_version=$("$node_bin" -p "JSON.parse(require('fs').readFileSync('$dir/node_modules/firebase-admin/package.json','utf8')).version")
  if [ "${actual_node%%.*}" != "$node_major" ] || [ "${fa_version%%.*}" != "$fa_major" ]; then
    fail "expected firebase-admin $fa_major on Node $node_major, got firebase-admin $fa_version on Node $actual_node"
  fi
  echo "compat: firebase-admin $fa_version on Node $actual_node"
  PUSHBACK_FIREBASE_ADMIN_FROM="$dir" PUSHBACK_EXPECT_FIREBASE_ADMIN_MAJOR="$fa_major" PUSHBACK_EXPECT_NODE_MAJOR="$node_major" \
    "$node_bin" node_modules/vitest/vitest.mjs run --config test/vitest.config.ts test/firebase-admin \
    || fail "the firebase-admin tests fail with firebase-admin $fa_version on Node $actual_node"
  echo "compat: firebase-admin $fa_version on Node $actual_node passed in $(($(date +%s) - t0)) s"
}

run_compat .ci/compat .ci/compat/node_modules/node/bin/node 14 22
run_compat .ci/compat12 node 12 20
echo "compat: all passed in $(($(date +%s) - started)) s"
