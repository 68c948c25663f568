/**
 * Which cluster kubectl talks to for a stack. The stack itself is pinned to its cluster (the EKS
 * cluster's own kubeconfig, or `kubernetes:context` / `kubernetes:kubeconfig`), but kubectl
 * uses its current context: a printed `kubectl port-forward` run from a shell pointed elsewhere
 * would silently reach another cluster. These flags, appended to every kubectl command the stack
 * prints and to `npm run dashboards`' port-forwards, pin kubectl to the stack's cluster too.
 */
import * as os from "os";
import * as path from "path";

import type { ClusterKind } from "./config";

/**
 * On EKS, the kubeconfig file kubectl is pointed at: the one the README's kubectl section writes
 * in the project directory from the stack output `kubeconfig`.
 */
export const EKS_KUBECONFIG_FILE = "kubeconfig.json";

/** The command that writes {@link EKS_KUBECONFIG_FILE} (`--silent` keeps npm's banner out). */
export const EKS_KUBECONFIG_COMMAND = `npm run --silent pulumi -- stack output kubeconfig --show-secrets > ${EKS_KUBECONFIG_FILE}`;

/**
 * Whether a `kubernetes:kubeconfig` setting holds a kubeconfig's contents rather than a file's
 * path (the Kubernetes provider takes either): YAML spans lines, JSON starts with a brace.
 */
export function isKubeconfigContents(value: string): boolean {
    return value.includes("\n") || value.trimStart().startsWith("{");
}

/**
 * The kubectl flags that reach the stack's cluster: on EKS `--kubeconfig kubeconfig.json`; on an
 * existing cluster `--kubeconfig <file>` for a kubeconfig path and `--context <name>` for a
 * context. Undefined when kubectl cannot be pointed there: a kubeconfig given by its contents,
 * without a context (kubectl reads kubeconfigs from files only).
 */
export function kubectlTargetArgs(config: {
    readonly cluster: ClusterKind;
    readonly existingCluster?: { readonly kubeconfig?: string; readonly context?: string };
}): string[] | undefined {
    if (config.cluster === "eks") {
        return ["--kubeconfig", EKS_KUBECONFIG_FILE];
    }
    const { kubeconfig, context } = config.existingCluster ?? {};
    const args = [
        ...(kubeconfig !== undefined && !isKubeconfigContents(kubeconfig)
            ? ["--kubeconfig", kubeconfig]
            : []),
        ...(context !== undefined ? ["--context", context] : []),
    ];
    return args.length > 0 ? args : undefined;
}

/** One word for a POSIX shell: as is when safe, else quoted, a leading `~/` left to expand. */
export function shellWord(word: string): string {
    if (/^[\w@%+=:,./~-]+$/.test(word)) {
        return word;
    }
    const home = word.startsWith("~/") ? "~/" : "";
    return `${home}'${word.slice(home.length).replace(/'/g, `'\\''`)}'`;
}

/** A printed kubectl command with the target flags appended, quoted for a shell. */
export function targetedCommand(command: string, args: readonly string[] | undefined): string {
    return args === undefined || args.length === 0
        ? command
        : `${command} ${args.map(shellWord).join(" ")}`;
}

/** Each UI's port-forward (the stack output `dashboards`) with the target flags appended. */
export function targetedDashboards<K extends string>(
    dashboards: Readonly<Record<K, { readonly portForwardCommand: string; readonly url: string }>>,
    args: readonly string[] | undefined,
): Record<K, { portForwardCommand: string; url: string }> {
    return Object.fromEntries(
        (Object.entries(dashboards) as [K, { portForwardCommand: string; url: string }][]).map(
            ([ui, d]) => [
                ui,
                { ...d, portForwardCommand: targetedCommand(d.portForwardCommand, args) },
            ],
        ),
    ) as Record<K, { portForwardCommand: string; url: string }>;
}

/**
 * The target flags as a program runs them (no shell): a `--kubeconfig` path with `~` expanded and
 * a relative one resolved against `dir` (the project directory, where Pulumi ran the program and
 * the README writes kubeconfig.json).
 */
export function resolveKubeconfigArgs(args: readonly string[], dir: string): string[] {
    return args.map((arg, i) => {
        if (args[i - 1] !== "--kubeconfig") {
            return arg;
        }
        const expanded = arg === "~" || arg.startsWith("~/") ? os.homedir() + arg.slice(1) : arg;
        return path.resolve(dir, expanded);
    });
}

/** Whether kubectl options name a cluster themselves (`--context`, `--kubeconfig`, `--server`). */
export function namesCluster(argv: readonly string[]): boolean {
    return argv.some((a) => /^--(context|kubeconfig|server|cluster)(=|$)/.test(a));
}
