/**
 * `npm run dashboards`: opens the observability add-ons the way `istioctl dashboard` does. It
 * runs one `kubectl port-forward` per UI (Kiali, Grafana, Jaeger, Prometheus), prints each URL
 * once its forward is up, and stops them all on Ctrl-C. kubectl talks to the stack's cluster,
 * whatever its current context: the flags of the stack output `kubectlArgs` (on EKS the
 * kubeconfig.json the README's kubectl section writes). Arguments after `--` go to every kubectl;
 * ones that name a cluster (`--context`, `--kubeconfig`, ...) replace the stack's, and then no
 * stack is needed. Exit status: 0 after Ctrl-C, 1 when a port-forward fails (each failure is
 * printed), 2 when the stack's cluster cannot be told.
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

import {
    EKS_KUBECONFIG_COMMAND,
    EKS_KUBECONFIG_FILE,
    namesCluster,
    resolveKubeconfigArgs,
} from "../lib/kubectlTarget";
import { Addon, ADDONS, localUrl, portForwardArgs } from "../lib/observability";
import { pulumiStackOutputs } from "./verify";

/** What each add-on is for, as printed beside its URL. */
export const ADDON_TITLES: Readonly<Record<Addon, string>> = {
    kiali: "Kiali (traffic graph)",
    grafana: "Grafana (Istio's dashboards)",
    jaeger: "Jaeger (traces)",
    prometheus: "Prometheus",
};

/** Where the command writes, what it runs, and when it stops; tests inject their own. */
export interface DashboardsIo {
    readonly stdout: { write(text: string): unknown };
    readonly stderr: { write(text: string): unknown };
    /** The kubectl to run (default `kubectl` from PATH). */
    readonly kubectl?: string;
    /** Resolves when the user asks to stop (default: Ctrl-C or SIGTERM). */
    readonly stopped?: Promise<void>;
    /** The current stack's outputs; by default from the Pulumi CLI through scripts/pulumi.sh. */
    readonly readStackOutputs?: () => Promise<Record<string, unknown>>;
    /** Where a relative `--kubeconfig` of the stack lies (default: the project directory). */
    readonly projectDir?: string;
}

/** The order the UIs are printed in: the graph first, Prometheus last. */
const ORDER: readonly Addon[] = ["kiali", "grafana", "jaeger", "prometheus"];

const USAGE = `Usage: npm run dashboards [-- <kubectl options>]

Port-forwards to the observability add-ons in istio-system (${ADDONS.join(", ")}),
prints their local URLs and keeps the forwards open until Ctrl-C. kubectl talks to the
stack's cluster (stack output kubectlArgs; on EKS ${EKS_KUBECONFIG_FILE}, written by
${EKS_KUBECONFIG_COMMAND}).
Options after -- go to kubectl; --context or --kubeconfig there replace the stack's.
`;

/** Thrown when the stack's cluster cannot be told: printed, exit status 2. */
class NoTarget extends Error {}

/**
 * The kubectl flags that reach the stack's cluster, from its output `kubectlArgs`, a kubeconfig
 * path resolved and checked to exist; none when the user's options name a cluster.
 */
async function stackTarget(argv: readonly string[], io: DashboardsIo): Promise<string[]> {
    if (namesCluster(argv)) {
        return [];
    }
    let outputs: Record<string, unknown>;
    try {
        outputs = await (io.readStackOutputs ?? pulumiStackOutputs)();
    } catch (e) {
        throw new NoTarget(
            `could not read the stack's outputs to find its cluster: ${(e as Error).message}\n` +
                "To port-forward without the stack, name the cluster: npm run dashboards -- --context <context>",
        );
    }
    const args = outputs.kubectlArgs;
    if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) {
        io.stderr.write(
            "The stack does not say how kubectl reaches its cluster (no output kubectlArgs: its " +
                "kubernetes:kubeconfig holds a kubeconfig's contents, or it was deployed before the " +
                "output existed): kubectl uses its current context. Name the cluster after -- to be sure.\n",
        );
        return [];
    }
    const resolved = resolveKubeconfigArgs(args, io.projectDir ?? path.join(__dirname, ".."));
    resolved.forEach((file, i) => {
        if (args[i - 1] === "--kubeconfig" && !fs.existsSync(file)) {
            throw new NoTarget(
                `the stack's cluster is reached with the kubeconfig ${file}, which does not exist` +
                    (args[i] === EKS_KUBECONFIG_FILE
                        ? `: write it first (${EKS_KUBECONFIG_COMMAND})`
                        : ""),
            );
        }
    });
    return resolved;
}

function untilSignal(): Promise<void> {
    return new Promise((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
    });
}

/** Runs the command with `argv` (without node and the script); resolves to its exit status. */
export async function main(argv: readonly string[], io: DashboardsIo): Promise<number> {
    if (argv.includes("--help") || argv.includes("-h")) {
        io.stdout.write(USAGE);
        return 0;
    }
    const kubectl = io.kubectl ?? "kubectl";
    let target: string[];
    try {
        target = await stackTarget(argv, io);
    } catch (e) {
        if (e instanceof NoTarget) {
            io.stderr.write(`dashboards: ${e.message}\n`);
            return 2;
        }
        throw e;
    }
    const width = Math.max(...ORDER.map((a) => ADDON_TITLES[a].length));
    const children = new Map<Addon, ChildProcess>();
    let failed = false;
    let noKubectl = false;
    let stopping = false;

    const done = new Promise<void>((resolveDone) => {
        let running = 0;
        const exited = (addon: Addon, reason: string) => {
            running--;
            if (!stopping) {
                failed = true;
                io.stderr.write(`${addon}: port-forward stopped: ${reason}\n`);
                stopAll();
            }
            if (running === 0) {
                resolveDone();
            }
        };
        for (const addon of ORDER) {
            const child = spawn(kubectl, [...portForwardArgs(addon), ...target, ...argv], {
                stdio: ["ignore", "pipe", "pipe"],
            });
            running++;
            children.set(addon, child);
            let announced = false;
            let finished = false;
            let said = "";
            // 'error' (kubectl missing) may or may not be followed by 'exit': count one end.
            const end = (reason: string) => {
                if (!finished) {
                    finished = true;
                    exited(addon, reason);
                }
            };
            child.stdout?.on("data", (chunk: Buffer) => {
                if (!announced && chunk.toString().includes("Forwarding from")) {
                    announced = true;
                    io.stdout.write(`${ADDON_TITLES[addon].padEnd(width)}  ${localUrl(addon)}\n`);
                }
            });
            child.stderr?.on("data", (chunk: Buffer) => (said += chunk.toString()));
            child.on("error", (e: NodeJS.ErrnoException) => {
                noKubectl = e.code === "ENOENT";
                end(noKubectl ? `${kubectl} not found: install kubectl` : e.message);
            });
            child.on("close", (code, signal) =>
                end(said.trim() || `kubectl exited with ${code ?? signal}`),
            );
        }
    });

    function stopAll(): void {
        stopping = true;
        for (const child of children.values()) {
            if (child.exitCode === null && child.signalCode === null) {
                child.kill("SIGTERM");
            }
        }
    }

    void (io.stopped ?? untilSignal()).then(stopAll);
    io.stderr.write("Port-forwarding to the add-ons in istio-system; Ctrl-C stops them.\n");
    await done;
    if (failed) {
        if (!noKubectl) {
            io.stderr.write(
                "Is observability on (npm run pulumi -- config get observability)? See README: See the mesh.\n",
            );
        }
        return 1;
    }
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
        (code) => process.exit(code),
        (e: unknown) => {
            process.stderr.write(`dashboards: ${(e as Error)?.stack ?? String(e)}\n`);
            process.exit(2);
        },
    );
}
