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
scripts/install-deps.sh

# Only commands that write the stack may create it: a fresh clone's first `npm run deploy`, or a
# setting made before it. Every other command only reads, and reading must never create anything
# (a `stack init` would also ask for a new passphrase): without the stack it says so and stops.
case "${1:-} ${2:-}" in
"up "* | "update "* | "config set" | "config set-all") creates=1 ;;
*) creates=0 ;;
esac
# Commands about the CLI, its plugins or the list of stacks need no stack selected.
case "${1:-} ${2:-}" in
"stack init"* | "stack ls"* | "plugin "* | "version "* | "about "* | "whoami "* | "help "* | \
    "--help "* | "-h "* | "--version "* | " ") needs_stack=0 ;;
*) needs_stack=1 ;;
esac
stack="${PULUMI_STACK:-dev}"
missing="There is no stack \"$stack\" in ${PULUMI_BACKEND_URL:-file://$root/.pulumi} yet: deploy first (npm run deploy)."

if [ -z "${PULUMI_BACKEND_URL:-}" ]; then
    if [ "$needs_stack" -eq 1 ] && [ "$creates" -eq 0 ] && [ ! -d "$root/.pulumi" ]; then
        echo "$missing" >&2
        exit 1
    fi
    mkdir -p "$root/.pulumi"
    export PULUMI_BACKEND_URL="file://$root/.pulumi"
fi

init=0
if [ "$needs_stack" -eq 1 ] && ! selected=$(pulumi stack select "$stack" 2>&1); then
    if [ "$creates" -eq 1 ]; then
        init=1
    elif printf '%s' "$selected" | grep -q "no stack named"; then
        echo "$missing" >&2
        exit 1
    else
        printf '%s\n' "$selected" >&2
        exit 1
    fi
fi

# A local backend encrypts secrets (the kubeconfig) with a passphrase. Pulumi asks for it on a
# terminal; elsewhere set PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE.
if [ "$needs_stack" -eq 1 ] && [ "${PULUMI_BACKEND_URL#file://}" != "$PULUMI_BACKEND_URL" ] &&
    [ -z "${PULUMI_CONFIG_PASSPHRASE+x}" ] && [ -z "${PULUMI_CONFIG_PASSPHRASE_FILE:-}" ] &&
    [ ! -t 0 ]; then
    echo "Set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): it encrypts this stack's secrets." >&2
    exit 1
fi

# An EKS stack's kubeconfig runs `aws eks get-token`, and so does every command that reaches the
# cluster: without the AWS CLI, `up` would fail only after some 15 minutes of AWS resources, and
# `destroy` halfway. The stack's `cluster` setting: from its config, or from its file before it exists.
case "${1:-}" in
up | update | preview | refresh | destroy)
    if [ "$init" -eq 1 ]; then
        cluster=$(sed -n "s/^ *istio-eks:cluster: *[\"']\{0,1\}\([a-z]*\)[\"']\{0,1\} *\$/\1/p" \
            "Pulumi.$stack.yaml" 2>/dev/null || true)
    else
        cluster=$(pulumi config get cluster 2>/dev/null || true)
    fi
    if [ "${cluster:-eks}" = eks ] && ! command -v aws >/dev/null 2>&1; then
        echo "The AWS CLI (aws) is not installed, and stack \"$stack\" runs on EKS (cluster: eks):" \
            "the cluster's kubeconfig authenticates with \`aws eks get-token\`, so \`pulumi $1\` needs it." \
            "Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html" >&2
        exit 1
    fi
    ;;
esac

if [ "$init" -eq 1 ]; then
    pulumi stack init "$stack"
fi
exec pulumi "$@"
