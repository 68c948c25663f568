import * as assert from "assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import {
    isKubeconfigContents,
    kubectlTargetArgs,
    namesCluster,
    resolveKubeconfigArgs,
    shellWord,
    targetedCommand,
} from "../lib/kubectlTarget";
import { dashboards as dashboardOutputs } from "../lib/observability";
import { main } from "../scripts/dashboards";

describe("kubectl pinned to the stack's cluster (lib/kubectlTarget.ts)", () => {
    it("on EKS, the kubeconfig.json the README's kubectl section writes", () => {
        assert.deepEqual(kubectlTargetArgs({ cluster: "eks" }), [
            "--kubeconfig",
            "kubeconfig.json",
        ]);
    });

    it("on an existing cluster, the context and the kubeconfig file the stack names", () => {
        const existing = (existingCluster: { kubeconfig?: string; context?: string }) =>
            kubectlTargetArgs({ cluster: "existing", existingCluster });
        assert.deepEqual(existing({ context: "kind-istio-lab" }), ["--context", "kind-istio-lab"]);
        assert.deepEqual(existing({ kubeconfig: "~/.kube/lab.yaml" }), [
            "--kubeconfig",
            "~/.kube/lab.yaml",
        ]);
        assert.deepEqual(existing({ kubeconfig: "lab.yaml", context: "lab" }), [
            "--kubeconfig",
            "lab.yaml",
            "--context",
            "lab",
        ]);
        // kubectl reads kubeconfigs from files only: contents leave just the context, if any.
        const yaml = "apiVersion: v1\nkind: Config\nclusters: []\n";
        assert.deepEqual(existing({ kubeconfig: yaml, context: "lab" }), ["--context", "lab"]);
        assert.equal(existing({ kubeconfig: yaml }), undefined);
        assert.equal(existing({ kubeconfig: '{"apiVersion":"v1","kind":"Config"}' }), undefined);
        assert.equal(isKubeconfigContents("/home/me/.kube/config"), false);
    });

    it("appends the flags to a printed command, quoted for a shell", () => {
        const command = "kubectl port-forward -n istio-system svc/prometheus 9090:9090";
        assert.equal(
            targetedCommand(command, ["--context", "kind-istio-lab"]),
            `${command} --context kind-istio-lab`,
        );
        assert.equal(
            targetedCommand(command, ["--kubeconfig", "~/my clusters/lab's.yaml"]),
            `${command} --kubeconfig ~/'my clusters/lab'\\''s.yaml'`,
        );
        assert.equal(targetedCommand(command, undefined), command);
        assert.equal(
            shellWord("arn:aws:eks:us-west-2:123456789012:cluster/istio"),
            "arn:aws:eks:us-west-2:123456789012:cluster/istio",
        );
    });

    it("resolves a kubeconfig path as kubectl would have it from a shell in the project", () => {
        assert.deepEqual(
            resolveKubeconfigArgs(["--kubeconfig", "kubeconfig.json", "--context", "x"], "/p"),
            ["--kubeconfig", "/p/kubeconfig.json", "--context", "x"],
        );
        assert.deepEqual(resolveKubeconfigArgs(["--kubeconfig", "~/.kube/lab"], "/p"), [
            "--kubeconfig",
            path.join(os.homedir(), ".kube/lab"),
        ]);
    });

    it("knows kubectl options that name a cluster", () => {
        assert.equal(namesCluster(["--context", "x"]), true);
        assert.equal(namesCluster(["--kubeconfig=/k"]), true);
        assert.equal(namesCluster(["-v", "6", "--address", "0.0.0.0"]), false);
    });
});

describe("npm run dashboards", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "dashboards-spec-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    /**
     * A stand-in kubectl: logs its arguments, then behaves as `port-forward` does (announces the
     * forward and runs until killed), or fails like kubectl for a Service named in `missing`.
     */
    function fakeKubectl(name: string, missing = ""): { path: string; log: string } {
        const log = path.join(dir, `${name}.log`);
        const file = path.join(dir, name);
        fs.writeFileSync(
            file,
            [
                "#!/usr/bin/env bash",
                `echo "$*" >> ${log}`,
                'svc="${4#svc/}"; ports="$5"',
                `if [ "$svc" = "${missing}" ]; then`,
                '  echo "Error from server (NotFound): services \\"$svc\\" not found" >&2; exit 1',
                "fi",
                'echo "Forwarding from 127.0.0.1:${ports%%:*} -> ${ports##*:}"',
                "trap 'exit 0' TERM",
                "while true; do sleep 0.05; done",
            ].join("\n"),
            { mode: 0o755 },
        );
        return { path: file, log };
    }

    /** The stack's outputs of a kind cluster pinned by kubernetes:context. */
    const KIND_STACK = { kubectlArgs: ["--context", "kind-istio-lab"] };

    async function run(
        kubectl: string,
        argv: string[],
        stopWhen: (stdout: string) => boolean = () => false,
        outputs: Record<string, unknown> | null = KIND_STACK,
    ) {
        const out: string[] = [];
        const err: string[] = [];
        let stop: () => void = () => undefined;
        const stopped = new Promise<void>((resolve) => (stop = resolve));
        const code = await main(argv, {
            stdout: {
                write: (t: string) => {
                    out.push(t);
                    if (stopWhen(out.join(""))) {
                        stop();
                    }
                },
            },
            stderr: { write: (t: string) => err.push(t) },
            kubectl,
            stopped,
            readStackOutputs: () =>
                outputs === null
                    ? Promise.reject(new Error("there is no stack"))
                    : Promise.resolve(outputs),
            projectDir: dir,
        });
        return { code, stdout: out.join(""), stderr: err.join("") };
    }

    const allUp = (stdout: string) => stdout.split("\n").length > 4;

    /** The port-forwards a stand-in kubectl ran, sorted. */
    const ran = (log: string) => fs.readFileSync(log, "utf8").trim().split("\n").sort();

    /** The stack output `dashboards`' commands, with `flags` appended and without "kubectl ". */
    const stackCommands = (flags: string) =>
        Object.values(dashboardOutputs())
            .map((d) => `${d.portForwardCommand.replace(/^kubectl /, "")} ${flags}`)
            .sort();

    it("port-forwards to every add-on, prints each URL, and stops them all when asked", async () => {
        const kubectl = fakeKubectl("kubectl-ok");
        // The user names the cluster: no stack is needed.
        const result = await run(kubectl.path, ["--context", "kind-istio-lab"], allUp, null);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(result.stdout.split("\n").sort(), [
            "",
            "Grafana (Istio's dashboards)  http://localhost:3000",
            "Jaeger (traces)               http://localhost:16686",
            "Kiali (traffic graph)         http://localhost:20001/kiali",
            "Prometheus                    http://localhost:9090",
        ]);
        // The same commands as the stack's `dashboards` output, plus the user's kubectl options.
        assert.deepEqual(ran(kubectl.log), stackCommands("--context kind-istio-lab"));
    });

    it("reaches the stack's cluster whatever kubectl's current context: its kubectlArgs", async () => {
        const kubectl = fakeKubectl("kubectl-stack-context");
        const result = await run(kubectl.path, [], allUp, {
            kubectlArgs: ["--context", "kind-istio-lab"],
        });
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(ran(kubectl.log), stackCommands("--context kind-istio-lab"));
    });

    it("on EKS, uses kubeconfig.json in the project directory, and says how to write it", async () => {
        const kubectl = fakeKubectl("kubectl-eks");
        const eks = { clusterName: "istio-eks", kubectlArgs: ["--kubeconfig", "kubeconfig.json"] };
        const missing = await run(kubectl.path, [], allUp, eks);
        assert.deepEqual(missing, {
            code: 2,
            stdout: "",
            stderr:
                `dashboards: the stack's cluster is reached with the kubeconfig ${dir}/kubeconfig.json, ` +
                "which does not exist: write it first (npm run --silent pulumi -- stack output kubeconfig " +
                "--show-secrets > kubeconfig.json)\n",
        });
        assert.equal(fs.existsSync(kubectl.log), false);
        fs.writeFileSync(path.join(dir, "kubeconfig.json"), "{}");
        const result = await run(kubectl.path, [], allUp, eks);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(ran(kubectl.log), stackCommands(`--kubeconfig ${dir}/kubeconfig.json`));
    });

    it("lets the user's --context or --kubeconfig replace the stack's", async () => {
        const kubectl = fakeKubectl("kubectl-user-context");
        const result = await run(kubectl.path, ["--context=other"], allUp, KIND_STACK);
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(ran(kubectl.log), stackCommands("--context=other"));
    });

    it("exits 2 without a stack, unless the user names the cluster", async () => {
        const result = await run("false", [], allUp, null);
        assert.deepEqual(result, {
            code: 2,
            stdout: "",
            stderr:
                "dashboards: could not read the stack's outputs to find its cluster: there is no stack\n" +
                "To port-forward without the stack, name the cluster: npm run dashboards -- --context <context>\n",
        });
    });

    it("warns and uses kubectl's current context when the stack cannot say (a kubeconfig's contents)", async () => {
        const kubectl = fakeKubectl("kubectl-current");
        const result = await run(kubectl.path, [], allUp, {
            productPageUrl: "http://x/productpage",
        });
        assert.equal(result.code, 0, result.stderr);
        assert.match(
            result.stderr,
            /^The stack does not say how kubectl reaches its cluster .*: kubectl uses its current context\./,
        );
        assert.deepEqual(
            ran(kubectl.log),
            Object.values(dashboardOutputs())
                .map((d) => d.portForwardCommand.replace(/^kubectl /, ""))
                .sort(),
        );
    });

    it("stops every forward and says why when one fails", async () => {
        const kubectl = fakeKubectl("kubectl-no-kiali", "kiali");
        const result = await run(kubectl.path, []);
        assert.equal(result.code, 1);
        assert.match(
            result.stderr,
            /\nkiali: port-forward stopped: Error from server \(NotFound\): services "kiali" not found\n/,
        );
        assert.match(
            result.stderr,
            /Is observability on \(npm run pulumi -- config get observability\)/,
        );
    });

    it("says so when kubectl is not installed", async () => {
        const result = await run(path.join(dir, "no-such-kubectl"), []);
        assert.equal(result.code, 1);
        assert.match(
            result.stderr,
            /\nkiali: port-forward stopped: .*no-such-kubectl not found: install kubectl\n$/,
        );
    });

    it("prints its usage with --help", async () => {
        const result = await run("false", ["--help"]);
        assert.equal(result.code, 0);
        assert.match(result.stdout, /^Usage: npm run dashboards/);
    });
});
