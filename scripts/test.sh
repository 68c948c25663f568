#!/usr/bin/env bash
# npm test: the type-check (tsc --noEmit) and lint (eslint, prettier --check) run beside mocha (two cores: the
# checks share the second one), each printed whole when done; fails if any of them fails.
# On a fresh clone it first installs the dependencies from the lock file, so `npm test` is the
# one command a new user needs. The tools are the installed ones, never an npx download.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
bin=node_modules/.bin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

("$bin/tsc" --noEmit >"$out/typecheck" 2>&1; echo $? >"$out/typecheck.rc") &
("$bin/eslint" . >"$out/eslint" 2>&1 && "$bin/prettier" --check . >>"$out/eslint" 2>&1
    echo $? >"$out/eslint.rc") &
"$bin/mocha"
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
