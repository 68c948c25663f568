#!/usr/bin/env bash
# Installs the dependencies exactly as package-lock.json pins them when they are missing (a fresh
# clone, or an install that stopped half way: npm ci writes node_modules/.package-lock.json last).
# Used by npm test and scripts/pulumi.sh. No install scripts: the only ones download Pulumi
# plugins, which needs the Pulumi CLI, and `pulumi up` downloads the plugins it needs itself.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ]; then
    echo "Installing the dependencies from package-lock.json (npm ci)..." >&2
    npm ci --ignore-scripts --no-audit --no-fund >&2
fi
