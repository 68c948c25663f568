import * as assert from "assert/strict";
import * as fs from "fs";

import { FakePulumi } from "./fakePulumi";

describe("scripts/pulumi.sh", () => {
    let w: FakePulumi;
    beforeEach(() => (w = new FakePulumi()));
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

    it("removes the local stack as the README says, when only that stack exists", () => {
        fs.mkdirSync(w.stateDir);
        const args = ["stack", "rm", "--preserve-config", "--yes", "local"];
        const res = w.run(args, { FAKE_STACKS: "local", PULUMI_STACK: "local" });
        assert.equal(res.status, 0, res.stderr);
        assert.deepEqual(res.calls, ["stack select local", args.join(" ")]);
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
            w.installAws();
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

    describe("on an EKS stack, without the AWS CLI", () => {
        const NO_AWS =
            'The AWS CLI (aws) is not installed, and stack "dev" runs on EKS (cluster: eks): ' +
            "the cluster's kubeconfig authenticates with `aws eks get-token`, so `pulumi COMMAND` needs it. " +
            "Install AWS CLI v2: https://docs.aws.amazon.com/cli/latest/userguide/getting-started-install.html\n";

        for (const command of ["up", "destroy", "preview", "refresh"]) {
            it(`stops \`${command}\` at once, saying why`, () => {
                fs.mkdirSync(w.stateDir);
                const res = w.run([command, "--yes"], { FAKE_STACKS: "dev" });
                assert.equal(res.status, 1);
                assert.equal(res.stderr, NO_AWS.replace("COMMAND", command));
                assert.deepEqual(res.calls, ["stack select dev", "config get cluster"]);
            });
        }

        it("stops the first `up` of a fresh clone before creating the stack", () => {
            w.stackFile("dev", "config:\n  aws:region: us-west-2\n");
            const res = w.run(["up"]);
            assert.equal(res.status, 1);
            assert.equal(res.stderr, NO_AWS.replace("COMMAND", "up"));
            assert.deepEqual(res.calls, ["stack select dev"]);
        });

        it("reads the stack's cluster setting: eks needs the CLI, existing does not", () => {
            fs.mkdirSync(w.stateDir);
            const eks = w.run(["destroy"], { FAKE_STACKS: "dev", FAKE_CLUSTER: "eks" });
            assert.equal(eks.status, 1);
            const existing = w.run(["destroy"], { FAKE_STACKS: "dev", FAKE_CLUSTER: "existing" });
            assert.equal(existing.status, 0, existing.stderr);
            assert.equal(existing.calls.at(-1), "destroy");
        });

        for (const value of ["existing", '"existing"', "'existing'"]) {
            it(`lets a fresh clone's local stack (cluster: ${value} in its file) deploy without it`, () => {
                w.stackFile("local", `config:\n  istio-eks:cluster: ${value}\n`);
                const res = w.run(["up", "--yes"], { PULUMI_STACK: "local" });
                assert.equal(res.status, 0, res.stderr);
                assert.deepEqual(res.calls, ["stack select local", "stack init local", "up --yes"]);
            });
        }

        it("runs commands that do not reach the cluster", () => {
            fs.mkdirSync(w.stateDir);
            const res = w.run(["stack", "output", "--json"], { FAKE_STACKS: "dev" });
            assert.equal(res.status, 0, res.stderr);
        });

        it("runs `up` once the CLI is installed", () => {
            fs.mkdirSync(w.stateDir);
            w.installAws();
            const res = w.run(["up", "--yes"], { FAKE_STACKS: "dev" });
            assert.equal(res.status, 0, res.stderr);
            assert.deepEqual(res.calls, ["stack select dev", "config get cluster", "up --yes"]);
        });
    });
});
