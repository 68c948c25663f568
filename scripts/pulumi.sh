#!/usr/bin/env bash
# Runs the Pulumi CLI for this project with a local state backend by default, so that a fresh
# clone deploys without a Pulumi Cloud account:
#   scripts/pulumi.sh up            (npm run deploy)
#   scripts/pulumi.sh config set routing jason-v2
#   scripts/pulumi.sh destroy       (npm run destroy)
# State goes to .pulumi/ in this folder. Override with PULUMI_BACKEND_URL (e.g. s3://bucket or
# https://api.pulumi.com); pick another stack with PULUMI_STACK (default: dev).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! command -v pulumi >/dev/null 2>&1; then
    echo "The Pulumi CLI is not installed: see https://www.pulumi.com/docs/iac/download-install/" >&2
    exit 1
fi
if [ ! -d node_modules ]; then
    npm ci --ignore-scripts --no-audit --no-fund
fi

if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    mkdir -p "$root/.pulumi"
    export PULUMI_BACKEND_URL="file://$root/.pulumi"
fi
stack="${PULUMI_STACK:-dev}"

# A local backend encrypts secrets (the kubeconfig) with a passphrase. Pulumi asks for it on a
# terminal; elsewhere set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE.
if [ "${PULUMI_BACKEND_URL#file://}" != "$PULUMI_BACKEND_URL" ] &&
    [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] &&
    [ ! -t 0 ]; then
    echo "Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts this stack's secrets." >&2
    exit 1
fi

if ! pulumi stack select "$stack" >/dev/null 2>&1; then
    pulumi stack init "$stack"
fi
exec pulumi "$@"
