#!/usr/bin/env bash
# npm test: the type-check (tsc --noEmit) and lint (eslint, prettier --check) run beside mocha (two cores: the
# checks share the second one), each printed whole when done; fails if any of them fails.
set -uo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

(npx tsc --noEmit >"$out/typecheck" 2>&1; echo $? >"$out/typecheck.rc") &
(npx eslint . >"$out/eslint" 2>&1 && npx prettier --check . >>"$out/eslint" 2>&1
    echo $? >"$out/eslint.rc") &
npx mocha
mocha_rc=$?
wait

status=$mocha_rc
for step in typecheck eslint; do
    rc=$(cat "$out/$step.rc")
    echo "--- $step: exit $rc"
    cat "$out/$step"
    [ "$rc" -eq 0 ] || status=1
done
exit "$status"
