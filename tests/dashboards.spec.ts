import * as assert from "assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { dashboards as dashboardOutputs } from "../lib/observability";
import { main } from "../scripts/dashboards";

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

    async function run(
        kubectl: string,
        argv: string[],
        stopWhen: (stdout: string) => boolean = () => false,
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
        });
        return { code, stdout: out.join(""), stderr: err.join("") };
    }

    it("port-forwards to every add-on, prints each URL, and stops them all when asked", async () => {
        const kubectl = fakeKubectl("kubectl-ok");
        const result = await run(
            kubectl.path,
            ["--context", "kind-istio-lab"],
            (stdout) => stdout.split("\n").length > 4,
        );
        assert.equal(result.code, 0, result.stderr);
        assert.deepEqual(result.stdout.split("\n").sort(), [
            "",
            "Grafana (Istio's dashboards)  http://localhost:3000",
            "Jaeger (traces)               http://localhost:16686",
            "Kiali (traffic graph)         http://localhost:20001/kiali",
            "Prometheus                    http://localhost:9090",
        ]);
        // The same commands as the stack's `dashboards` output, plus the user's kubectl options.
        const outputs = dashboardOutputs();
        assert.deepEqual(
            fs.readFileSync(kubectl.log, "utf8").trim().split("\n").sort(),
            Object.values(outputs)
                .map(
                    (d) =>
                        `${d.portForwardCommand.replace(/^kubectl /, "")} --context kind-istio-lab`,
                )
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
