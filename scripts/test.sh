#!/usr/bin/env bash
# npm test: mocha, the type-check and eslint (scripts/check.ts: one TypeScript program for both)
# and prettier --check, side by side on the two cores; the checks' output is printed whole when
# done; fails if any of them fails. Prettier's cache (node_modules/.cache/prettier) skips the
# files whose content and options have not changed since they last passed.
# On a fresh clone it first installs the dependencies from the lock file, so `npm test` is the
# one command a new user needs. The tools are the installed ones, never an npx download.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh || exit 1
bin=node_modules/.bin
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

("$bin/ts-node" --transpile-only scripts/check.ts >"$out/type-check-and-eslint" 2>&1
    echo $? >"$out/type-check-and-eslint.rc") &
("$bin/prettier" --check --cache . >"$out/prettier" 2>&1; echo $? >"$out/prettier.rc") &
"$bin/mocha"
status=$?
wait

for step in type-check-and-eslint prettier; do
    rc=$(cat "$out/$step.rc")
    echo "--- $step: exit $rc"
    cat "$out/$step"
    [ "$rc" -eq 0 ] || status=1
done
exit "$status"
