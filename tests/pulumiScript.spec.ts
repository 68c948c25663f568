import * as assert from "assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const SCRIPTS = path.join(__dirname, "..", "scripts");

/**
 * scripts/pulumi.sh run in a copy of the project's layout (so its default state folder is a
 * temporary one) against a stand-in `pulumi` on PATH that logs every call and knows the stacks
 * in FAKE_STACKS.
 */
class Wrapper {
    readonly root = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-sh-"));
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
                "",
            ].join("\n"),
            { mode: 0o755 },
        );
    }

    run(args: string[], env: Record<string, string> = {}) {
        const res = spawnSync("bash", [path.join(this.root, "scripts", "pulumi.sh"), ...args], {
            encoding: "utf8",
            stdio: ["ignore", "pipe", "pipe"],
            env: {
                PATH: `${this.bin}:${process.env.PATH}`,
                HOME: this.root,
                PULUMI_CONFIG_PASSPHRASE: "test",
                ...env,
            },
        });
        return { status: res.status, stdout: res.stdout, stderr: res.stderr, calls: this.calls() };
    }

    calls(): string[] {
        return fs.existsSync(this.log) ? fs.readFileSync(this.log, "utf8").trim().split("\n") : [];
    }

    get stateDir() {
        return path.join(this.root, ".pulumi");
    }

    remove() {
        fs.rmSync(this.root, { recursive: true, force: true });
    }
}

describe("scripts/pulumi.sh", () => {
    let w: Wrapper;
    beforeEach(() => (w = new Wrapper()));
    afterEach(() => w.remove());

    it("reads a stack that exists, in the state folder of the clone", () => {
        fs.mkdirSync(w.stateDir);
        const res = w.run(["stack", "output", "--json"], { FAKE_STACKS: "dev" });
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, '{"routingMode":"all-v1"}\n');
        assert.deepEqual(res.calls, ["stack select dev", "stack output --json"]);
    });

    it("on a fresh clone, reading says deploy first and creates neither the state nor a stack", () => {
        const res = w.run(["stack", "output", "--json"]);
        assert.equal(res.status, 1);
        assert.equal(
            res.stderr,
            `There is no stack "dev" in file://${w.stateDir} yet: deploy first (npm run deploy).\n`,
        );
        assert.deepEqual(res.calls, []);
        assert.equal(fs.existsSync(w.stateDir), false);
    });

    it("never runs stack init to read a stack that does not exist", () => {
        const res = w.run(["stack", "output", "--json"], {
            PULUMI_BACKEND_URL: "file:///srv/state",
            PULUMI_STACK: "local",
        });
        assert.equal(res.status, 1);
        assert.equal(
            res.stderr,
            'There is no stack "local" in file:///srv/state yet: deploy first (npm run deploy).\n',
        );
        assert.deepEqual(res.calls, ["stack select local"]);
    });

    it("passes on any other reason the stack cannot be selected, creating nothing", () => {
        fs.mkdirSync(w.stateDir);
        const res = w.run(["preview"], { FAKE_SELECT_ERROR: "error: failed to load checkpoint" });
        assert.equal(res.status, 1);
        assert.equal(res.stderr, "error: failed to load checkpoint\n");
        assert.deepEqual(res.calls, ["stack select dev"]);
    });

    for (const args of [
        ["up", "--yes"],
        ["config", "set", "routing", "jason-v2"],
    ]) {
        it(`creates the stack for \`${args.join(" ")}\`, which writes it`, () => {
            const res = w.run(args);
            assert.equal(res.status, 0, res.stderr);
            assert.deepEqual(res.calls, ["stack select dev", "stack init dev", args.join(" ")]);
            assert.equal(fs.existsSync(w.stateDir), true);
        });
    }

    it("selects no stack for commands about the CLI and its plugins", () => {
        const res = w.run(["plugin", "install"]);
        assert.equal(res.status, 0, res.stderr);
        assert.deepEqual(res.calls, ["plugin install"]);
    });
});
