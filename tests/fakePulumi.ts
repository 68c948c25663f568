import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPTS = path.join(__dirname, "..", "scripts");

/** This machine's PATH without any real AWS CLI, so that tests decide whether there is one. */
const SYSTEM_PATH = (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => !fs.existsSync(path.join(dir, "aws")));

/**
 * scripts/pulumi.sh in a copy of the project's layout (so its default state folder is a
 * temporary one), with a stand-in `pulumi` on PATH that logs every call, knows the stacks in
 * FAKE_STACKS and answers `config get cluster` with FAKE_CLUSTER. An `aws` is on PATH only after
 * {@link installAws}. No Pulumi CLI, no state, nothing outside the temporary folder.
 */
export class FakePulumi {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sh-"));
    readonly script = path.join(this.root, "scripts", "pulumi.sh");
    private readonly log = path.join(this.root, "calls.log");
    private readonly bin = path.join(this.root, "fakebin");

    constructor() {
        fs.mkdirSync(path.join(this.root, "scripts"));
        for (const file of ["pulumi.sh", "install-deps.sh"]) {
            fs.copyFileSync(path.join(SCRIPTS, file), path.join(this.root, "scripts", file));
        }
        // Installed already: the wrapper must not run npm ci here.
        fs.mkdirSync(path.join(this.root, "node_modules"));
        fs.writeFileSync(path.join(this.root, "node_modules", ".package-lock.json"), "{}");
        fs.mkdirSync(this.bin);
        fs.writeFileSync(
            path.join(this.bin, "pulumi"),
            [
                "#!/usr/bin/env bash",
                `echo "$*" >> "${this.log}"`,
                'if [ "$1 $2" = "stack select" ]; then',
                '    case " $FAKE_STACKS " in *" $3 "*) exit 0 ;; esac',
                '    [ -n "$FAKE_SELECT_ERROR" ] && { echo "$FAKE_SELECT_ERROR" >&2; exit 255; }',
                "    echo \"error: no stack named '$3' found\" >&2",
                "    exit 255",
                "fi",
                'if [ "$1 $2" = "stack output" ]; then echo \'{"routingMode":"all-v1"}\'; fi',
                'if [ "$1 $2 $3" = "config get cluster" ]; then',
                '    [ -n "$FAKE_CLUSTER" ] && { echo "$FAKE_CLUSTER"; exit 0; }',
                "    echo \"error: configuration key 'cluster' not found for stack\" >&2",
                "    exit 255",
                "fi",
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
    }

    /** Puts a stand-in AWS CLI on PATH. */
    installAws() {
        fs.writeFileSync(path.join(this.bin, "aws"), "#!/bin/sh\n", { mode: 0o755 });
    }

    /** Writes the stack's settings file, as checked in beside Pulumi.yaml. */
    stackFile(stack: string, text: string) {
        fs.writeFileSync(path.join(this.root, `Pulumi.${stack}.yaml`), text);
    }

    /** The environment the wrapper runs in: the stand-in first on PATH, a passphrase set. */
    env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
        return {
            PATH: [this.bin, ...SYSTEM_PATH].join(path.delimiter),
            HOME: this.root,
            PULUMI_CONFIG_PASSPHRASE: "test",
            ...extra,
        };
    }

    run(args: string[], env: Record<string, string> = {}) {
        const res = spawnSync("bash", [this.script, ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: this.env(env),
        });
        return { status: res.status, stdout: res.stdout, stderr: res.stderr, calls: this.calls() };
    }

    /** The stand-in's calls so far, one line of arguments each. */
    calls(): string[] {
        return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8").trim().split("\n") : [];
    }

    /** The wrapper's default state folder. */
    get stateDir() {
        return path.join(this.root, ".pulumi");
    }

    remove() {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}
