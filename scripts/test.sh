#!/usr/bin/env bash
# npm test, on two cores: mocha on one; on the other, the type-check and eslint on one TypeScript
# program (scripts/check.ts), then prettier --check. The checks' output is printed whole when
# done; fails if any step fails.
# On a fresh clone it first installs the dependencies from the lock file, so `npm test` is the
# one command a new user needs. The tools are the installed ones, never an npx download.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
bin=node_modules/.bin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

("$bin/ts-node" --transpile-only scripts/check.ts >"$out/checks" 2>&1
    rc=$?
    "$bin/prettier" --check . >>"$out/checks" 2>&1 || rc=1
    echo $rc >"$out/checks.rc") &
"$bin/mocha"
status=$?
wait

rc=$(cat "$out/checks.rc")
echo "--- type-check, eslint, prettier: exit $rc"
cat "$out/checks"
[ "$rc" -eq 0 ] || status=1
exit "$status"
