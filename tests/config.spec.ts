import * as assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

import * as pulumi from "@pulumi/pulumi";
import * as YAML from "yaml";

import {
    CONFIG_KEYS,
    ConfigError,
    ConfigKey,
    ConfigKeySpec,
    isValidSshPublicKey,
    parseConfig,
    providerSettings,
    RawConfig,
    rawStackConfig,
    readConfig,
    StackConfig,
} from "../lib/config";
import { ROUTING_MODE_NAMES, RoutingMode } from "../lib/routing";

const TRAFFIC_DEFAULTS: StackConfig["traffic"] = {
    mode: "round-robin",
    canaryWeight: 10,
    ratingsFault: { kind: "none" },
    mtls: "permissive",
};

/** The defaults with another routing mode. */
const withMode = (mode: RoutingMode): StackConfig => ({
    ...DEFAULTS,
    traffic: { ...TRAFFIC_DEFAULTS, mode },
});

const DEFAULTS: StackConfig = {
    cluster: "eks",
    gatewayServiceType: "LoadBalancer",
    traffic: TRAFFIC_DEFAULTS,
    observability: true,
    tracingSampling: 100,
    trafficModel: { trafficApi: "istio", dataplane: "sidecar" },
    gatewayApiCrds: "install",
    kubernetesVersion: "1.35",
    nodeInstanceType: "m5.large",
    nodeDesiredCount: 2,
    nodeMinCount: 2,
    nodeMaxCount: 3,
    sshPublicKey: undefined,
    existingVpc: undefined,
    adminPrincipalArns: [],
    awsProfile: undefined,
    existingCluster: undefined,
    istioVersion: "1.30.5",
    dataplaneRevision: "stable",
    appNamespace: "bookinfo",
    loadBalancerType: "nlb",
};

const VPC = "vpc-0123456789abcdef0";
const SUBNET_A = "subnet-0123456789abcdef0";
const SUBNET_B = "subnet-0123456789abcdef1";
const TWO_SUBNETS = `${SUBNET_A},${SUBNET_B}`;
const ADMIN_ROLE = "arn:aws:iam::123456789012:role/Admin";
/** The cluster of the README's kind walkthrough, as Pulumi.local.yaml names it. */
const KIND = { "kubernetes:context": "kind-istio-lab" };

/** A 4-byte big-endian length, then the bytes: the SSH wire format's "string". */
function sshString(data: Buffer): Buffer {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    return Buffer.concat([length, data]);
}

/** An OpenSSH public key line: type, base64 of string(type) + string(part)..., comment. */
function sshKeyLine(type: string, parts: Buffer[], comment: string): string {
    const blob = Buffer.concat([Buffer.from(type), ...parts].map(sshString));
    return `${type} ${blob.toString("base64")} ${comment}`.trim();
}

/** An unsigned big integer (base64url, as in a JWK) as the bytes of an SSH "mpint". */
function mpint(base64url: string): Buffer {
    const bytes = Buffer.from(base64url, "base64url");
    return bytes[0] & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes;
}

function ed25519PublicKey(comment = "alice@laptop work key"): string {
    const { publicKey } = crypto.generateKeyPairSync("ed25519");
    const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32);
    return sshKeyLine("ssh-ed25519", [raw], comment);
}

function rsaPublicKey(modulusLength = 2048, comment = "bob@desktop ops key"): string {
    const { publicKey } = crypto.generateKeyPairSync("rsa", { modulusLength });
    const { e, n } = publicKey.export({ format: "jwk" });
    return sshKeyLine("ssh-rsa", [mpint(e!), mpint(n!)], comment);
}

function ecdsaPublicKey(): string {
    const { publicKey } = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" });
    const { x, y } = publicKey.export({ format: "jwk" });
    const [px, py] = [x!, y!].map((c) => Buffer.from(c, "base64url"));
    const point = Buffer.concat([Buffer.from([4]), px, py]);
    return sshKeyLine("ecdsa-sha2-nistp256", [Buffer.from("nistp256"), point], "carol@laptop");
}

const ED25519 = ed25519PublicKey();
const RSA = rsaPublicKey();
const [ED25519_TYPE, ED25519_BODY] = ED25519.split(" ");

/** Bad values of one key each, and what the error says is allowed. */
const SSH_RULE =
    "expected one OpenSSH public key line of type ssh-rsa or ssh-ed25519 (the contents of a .pub file)";
const NAMESPACE_RULE =
    "expected a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)";
const RESERVED_RULE =
    "reserved; not one of default, kube-system, kube-public, kube-node-lease, istio-system, istio-ingress";
const DURATION_RULE = 'expected an Istio duration of at least 1ms, e.g. "0.5s", "7s", "100ms"';
const ISTIO_RULE = 'expected a chart version MAJOR.MINOR.PATCH, e.g. "1.30.5"';
const BAD_VALUES: [ConfigKey, string[], string][] = [
    [
        "routing",
        ["jason-v3"],
        "expected one of round-robin | all-v1 | jason-v2 | v3-50 | all-v3 | jason-v2-else-v3 | canary",
    ],
    ["canaryWeight", ["-1", "101", "ten", "12.5"], "expected a whole number from 0 to 100"],
    ["ratingsFault", ["slow", "Delay"], "expected one of none | delay | abort"],
    ["ratingsDelay", ["7", "7 s", "0s", "0.5ms", "1d"], DURATION_RULE],
    ["ratingsAbortStatus", ["200", "600", "5xx"], "expected a whole number from 400 to 599"],
    ["reviewsTimeout", ["half a second", ".5s", "0ms"], DURATION_RULE],
    ["mtls", ["STRICT", "disable"], "expected one of permissive | strict"],
    ["observability", ["yes", "True", "1", "off"], "expected true or false"],
    ["tracingSampling", ["-1", "101", "12.5", "all"], "expected a whole number from 0 to 100"],
    ["trafficApi", ["gateway", "Istio"], "expected one of istio | gateway-api"],
    ["dataplane", ["sidecarless", "Ambient"], "expected one of sidecar | ambient"],
    ["gatewayApiCrds", ["skip"], "expected one of install | existing"],
    ["cluster", ["kind", "EKS"], "expected one of eks | existing"],
    ["gatewayServiceType", ["nodeport", "ClusterIP"], "expected one of LoadBalancer | NodePort"],
    ["kubernetesVersion", ["1.35.1", "latest"], 'expected MAJOR.MINOR, e.g. "1.35"'],
    ["nodeInstanceType", ["M5 large"], 'expected an EC2 instance type such as "m5.large"'],
    ["sshPublicKey", ["not a key", `${ED25519_TYPE} ${ED25519_BODY.slice(0, 40)} a@b`], SSH_RULE],
    ["sshPublicKey", ["-----BEGIN OPENSSH PRIVATE KEY-----", ecdsaPublicKey()], SSH_RULE],
    ["vpcId", ["vpc-XYZ", "vpc-0123"], 'expected a VPC ID such as "vpc-0123456789abcdef0"'],
    ["istioVersion", ["1.30", "v1.30.5"], ISTIO_RULE],
    ["istioCanaryVersion", ["1.31", "latest"], ISTIO_RULE],
    ["dataplaneRevision", ["Canary", "1-31-1"], "expected one of stable | canary"],
    ["appNamespace", ["Bookinfo", "-x", "a".repeat(64)], NAMESPACE_RULE],
    ["appNamespace", ["istio-system", "default"], RESERVED_RULE],
    ["loadBalancerType", ["alb"], "expected one of nlb | clb"],
];
const SUBNET_RULE = 'expected subnet IDs such as "subnet-0123456789abcdef0"';
const ARN_RULE = 'expected IAM role or user ARNs such as "arn:aws:iam::123456789012:role/Admin"';

const UNKNOWN_ROUTNG =
    "routng is not a setting of this program; known settings: routing, canaryWeight, ratingsFault, ratingsDelay, ratingsAbortStatus, reviewsTimeout, mtls, observability, tracingSampling, trafficApi, dataplane, gatewayApiCrds, cluster, gatewayServiceType, kubernetesVersion, nodeInstanceType, nodeDesiredCount, nodeMinCount, nodeMaxCount, sshPublicKey, vpcId, publicSubnetIds, privateSubnetIds, adminPrincipalArns, istioVersion, istioCanaryVersion, istioRevision, dataplaneRevision, appNamespace, loadBalancerType";

/** Asserts that `run` throws a ConfigError with exactly these problems, each on its own line. */
function assertConfigError(run: () => unknown, problems: string[]): void {
    assert.throws(run, (err: unknown) => {
        assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
        assert.strictEqual(err.name, "ConfigError");
        assert.deepStrictEqual(err.problems, problems);
        assert.strictEqual(
            err.message,
            ["Invalid stack configuration:", ...problems].join("\n  - "),
        );
        return true;
    });
}

function assertRejected(raw: RawConfig, problems: string[]): void {
    assertConfigError(() => parseConfig(raw), problems);
}

describe("parseConfig", () => {
    it("returns the defaults when nothing is set", () => {
        assert.deepStrictEqual(parseConfig({}), DEFAULTS);
    });

    it("treats blank and whitespace-only values as unset", () => {
        const blank = Object.fromEntries(Object.keys(CONFIG_KEYS).map((k) => [k, " \t "]));
        assert.deepStrictEqual(parseConfig(blank), DEFAULTS);
        assert.deepStrictEqual(parseConfig({ sshPublicKey: "", vpcId: "" }), DEFAULTS);
    });

    it("accepts every routing mode, trimming surrounding whitespace", () => {
        assert.deepStrictEqual(ROUTING_MODE_NAMES, [
            "round-robin",
            "all-v1",
            "jason-v2",
            "v3-50",
            "all-v3",
            "jason-v2-else-v3",
            "canary",
        ]);
        for (const routing of ROUTING_MODE_NAMES) {
            const raw = { routing: ` ${routing}\n` };
            assert.deepStrictEqual(parseConfig(raw), withMode(routing));
        }
    });

    it("parses observability off, and a tracing percent", () => {
        assert.deepStrictEqual(parseConfig({ observability: "false", tracingSampling: "1" }), {
            ...DEFAULTS,
            observability: false,
            tracingSampling: 1,
        });
        assert.deepStrictEqual(parseConfig({ observability: "true", tracingSampling: "0" }), {
            ...DEFAULTS,
            tracingSampling: 0,
        });
    });

    it("parses an existing cluster behind a NodePort gateway, named by its context or kubeconfig", () => {
        assert.deepStrictEqual(
            parseConfig({ cluster: "existing", gatewayServiceType: "NodePort" }, KIND),
            {
                ...DEFAULTS,
                cluster: "existing",
                gatewayServiceType: "NodePort",
                existingCluster: { context: "kind-istio-lab" },
            },
        );
        assert.deepStrictEqual(
            parseConfig(
                { cluster: "existing" },
                { "kubernetes:kubeconfig": " /home/me/.kube/lab ", "kubernetes:context": "" },
            ).existingCluster,
            { kubeconfig: "/home/me/.kube/lab" },
        );
        // On EKS the program makes its own kubeconfig: these settings are not its cluster.
        assert.equal(parseConfig({}, KIND).existingCluster, undefined);
    });

    it("refuses an existing cluster named neither by context nor by kubeconfig", () => {
        for (const providers of [{}, { "kubernetes:context": " ", "aws:profile": "lab" }]) {
            assertConfigError(
                () => parseConfig({ cluster: "existing" }, providers),
                [
                    'cluster = "existing" names no cluster: set kubernetes:context (a context of your kubeconfig, e.g. kind-istio-lab) or kubernetes:kubeconfig (a kubeconfig file or its contents). Without either, each deploy or destroy would act on whichever cluster the current context of KUBECONFIG is at the time',
                ],
            );
        }
    });

    it("refuses EKS-only settings on an existing cluster, rather than ignore them", () => {
        const eksOnly = {
            sshPublicKey: ED25519,
            vpcId: VPC,
            publicSubnetIds: SUBNET_A,
            privateSubnetIds: `${SUBNET_A},${SUBNET_B}`,
            adminPrincipalArns: ADMIN_ROLE,
        };
        for (const [key, value] of Object.entries(eksOnly)) {
            const shown = key === "sshPublicKey" ? `${value.slice(0, 24)}...` : value;
            const problem = `${key} = ${JSON.stringify(shown)}: applies to cluster eks only; unset it (cluster is existing)`;
            assert.throws(
                () => parseConfig({ cluster: "existing", [key]: value }, KIND),
                (err: unknown) => err instanceof ConfigError && err.problems[0] === problem,
                key,
            );
        }
    });

    it("parses the traffic options: canary weight, ratings faults, reviews timeout, mutual TLS", () => {
        const traffic = (raw: RawConfig) => parseConfig(raw).traffic;
        assert.deepStrictEqual(traffic({ routing: "canary", canaryWeight: "0" }), {
            ...TRAFFIC_DEFAULTS,
            mode: "canary",
            canaryWeight: 0,
        });
        assert.equal(traffic({ canaryWeight: "100" }).canaryWeight, 100);
        assert.deepStrictEqual(traffic({ ratingsFault: "delay" }).ratingsFault, {
            kind: "delay",
            fixedDelay: "7s",
        });
        assert.deepStrictEqual(
            traffic({ ratingsFault: "delay", ratingsDelay: "2.5s" }).ratingsFault,
            {
                kind: "delay",
                fixedDelay: "2.5s",
            },
        );
        assert.deepStrictEqual(traffic({ ratingsFault: "abort" }).ratingsFault, {
            kind: "abort",
            httpStatus: 500,
        });
        assert.deepStrictEqual(
            traffic({ ratingsFault: "abort", ratingsAbortStatus: "503" }).ratingsFault,
            { kind: "abort", httpStatus: 503 },
        );
        // The delay and status only matter with their fault, but are validated anyway.
        assert.deepStrictEqual(traffic({ ratingsDelay: "1m" }).ratingsFault, { kind: "none" });
        for (const timeout of ["0.5s", "500ms", "1m", "1h", "1ms"]) {
            assert.deepStrictEqual(traffic({ reviewsTimeout: timeout }), {
                ...TRAFFIC_DEFAULTS,
                reviewsTimeout: timeout,
            });
        }
        assert.equal(traffic({ mtls: "strict" }).mtls, "strict");
    });

    it("parses the traffic model: the Gateway API with sidecars or ambient mode, and CRDs the cluster has", () => {
        assert.deepStrictEqual(parseConfig({ trafficApi: "gateway-api" }), {
            ...DEFAULTS,
            trafficModel: { trafficApi: "gateway-api", dataplane: "sidecar" },
        });
        assert.deepStrictEqual(
            parseConfig({
                trafficApi: "gateway-api",
                dataplane: "ambient",
                gatewayApiCrds: "existing",
            }),
            {
                ...DEFAULTS,
                trafficModel: { trafficApi: "gateway-api", dataplane: "ambient" },
                gatewayApiCrds: "existing",
            },
        );
        // Istio durations the Gateway API can say too.
        for (const timeout of ["0.5s", "1.5s", "250ms", "1m"]) {
            const raw = { trafficApi: "gateway-api", reviewsTimeout: timeout };
            assert.equal(parseConfig(raw).traffic.reviewsTimeout, timeout);
        }
    });

    describe("refuses the combination Istio does not support, naming both settings and why", () => {
        for (const routing of ROUTING_MODE_NAMES) {
            it(`dataplane ambient with trafficApi istio, routing ${routing}`, () => {
                assertRejected({ dataplane: "ambient", routing }, [
                    'trafficApi = "istio", dataplane = "ambient": not a combination Istio supports: ' +
                        "Istio's ambient mode routes L7 traffic in waypoints with Gateway API HTTPRoutes; " +
                        "VirtualServices there are Alpha and subsets are not routed: set trafficApi gateway-api, or dataplane sidecar",
                ]);
            });
        }
    });

    it("refuses settings that only the Gateway API uses or cannot express", () => {
        assertRejected({ gatewayApiCrds: "existing" }, [
            'gatewayApiCrds = "existing": applies to trafficApi gateway-api only; unset it (trafficApi is istio)',
        ]);
        assertRejected({ trafficApi: "gateway-api", reviewsTimeout: "1.5ms" }, [
            'reviewsTimeout = "1.5ms": with trafficApi gateway-api, expected whole milliseconds (at most 99999 of a unit), e.g. "500ms" or "0.5s"',
        ]);
        assertRejected(
            { trafficApi: "gateway-api", dataplane: "ambient", istioCanaryVersion: "1.31.1" },
            [
                'istioCanaryVersion = "1.31.1": applies to dataplane sidecar only; unset it (dataplane is ambient, upgraded in place)',
            ],
        );
        // Istio's model takes it.
        assert.equal(parseConfig({ reviewsTimeout: "1.5ms" }).traffic.reviewsTimeout, "1.5ms");
    });

    it("accepts valid non-default scalar settings", () => {
        const strings = { kubernetesVersion: "1.34", nodeInstanceType: "c7g.2xlarge" } as const;
        const more = {
            istioVersion: "1.31.0-beta.1",
            appNamespace: "shop-1",
            loadBalancerType: "clb",
        } as const;
        const counts = { nodeDesiredCount: "5", nodeMinCount: "1", nodeMaxCount: "50" };
        assert.deepStrictEqual(parseConfig({ ...strings, ...more, ...counts }), {
            ...DEFAULTS,
            ...strings,
            ...more,
            ...{ nodeDesiredCount: 5, nodeMinCount: 1, nodeMaxCount: 50 },
        });
    });

    it("parses the upgrade settings: a canary version, the stable revision, the data plane's tag", () => {
        assert.deepStrictEqual(
            parseConfig({ istioCanaryVersion: "1.31.1", dataplaneRevision: "canary" }),
            { ...DEFAULTS, istioCanaryVersion: "1.31.1", dataplaneRevision: "canary" },
        );
        assert.deepStrictEqual(parseConfig({ istioVersion: "1.31.1", istioRevision: "1-31-1" }), {
            ...DEFAULTS,
            istioVersion: "1.31.1",
            istioRevision: "1-31-1",
        });
    });

    it("checks Istio versions against the support matrix, and against kubernetesVersion on EKS only", () => {
        const problems = (raw: Record<string, string>) => {
            try {
                parseConfig(raw, KIND);
                return [];
            } catch (err) {
                return (err as ConfigError).problems;
            }
        };
        assert.deepStrictEqual(problems({ istioVersion: "1.28.4" }), [
            'istioVersion = "1.28.4", kubernetesVersion = "1.35": Istio 1.28 supports Kubernetes 1.30 to 1.34, not 1.35',
        ]);
        assert.deepStrictEqual(
            problems({ kubernetesVersion: "1.37", istioCanaryVersion: "1.31.1" }),
            [
                'istioVersion = "1.30.5", kubernetesVersion = "1.37": Istio 1.30 supports Kubernetes 1.32 to 1.36, not 1.37',
            ],
        );
        // The Kubernetes version of a cluster that exists is not a setting: only the matrix applies.
        assert.deepStrictEqual(problems({ cluster: "existing", istioVersion: "1.28.4" }), []);
        assert.deepStrictEqual(problems({ cluster: "existing", istioVersion: "1.26.1" }), [
            'istioVersion = "1.26.1": Istio 1.26 is not in the support matrix; expected one of 1.31, 1.30, 1.29, 1.28',
        ]);
        assert.deepStrictEqual(problems({ istioCanaryVersion: "1.30.5" }), [
            'istioCanaryVersion = "1.30.5": expected a version newer than istioVersion "1.30.5"; a canary is the next version of the stable control plane',
        ]);
        assert.deepStrictEqual(problems({ dataplaneRevision: "canary" }), [
            'dataplaneRevision = "canary": needs revisions; set istioCanaryVersion (a canary control plane), or istioRevision after promoting one',
        ]);
        assert.deepStrictEqual(problems({ istioRevision: "1.31.1" }), [
            'istioRevision = "1.31.1": expected a revision name such as "1-31-1" (lower-case letters, digits and \'-\', at most 40), not default, stable or canary',
        ]);
        // A malformed version is reported once, as a format problem.
        assert.deepStrictEqual(problems({ istioVersion: "1.30", istioCanaryVersion: "1.31.1" }), [
            `istioVersion = "1.30": ${ISTIO_RULE}`,
        ]);
    });

    it("accepts real ssh-ed25519 and ssh-rsa public keys whose comment contains spaces", () => {
        for (const key of [ED25519, RSA]) {
            const raw = { sshPublicKey: `${key}\n` };
            assert.deepStrictEqual(parseConfig(raw), { ...DEFAULTS, sshPublicKey: key });
        }
    });

    it("accepts an existing VPC with its subnets as JSON arrays or comma-separated", () => {
        const json = `["${SUBNET_A}","${SUBNET_B}"]`;
        const privateSubnetIds = [SUBNET_A, SUBNET_B];
        const existingVpc = { vpcId: VPC, publicSubnetIds: [SUBNET_A], privateSubnetIds };
        for (const list of [json, `${SUBNET_A} , ${SUBNET_B}`]) {
            const raw = { vpcId: VPC, publicSubnetIds: SUBNET_A, privateSubnetIds: list };
            assert.deepStrictEqual(parseConfig(raw), { ...DEFAULTS, existingVpc });
        }
        // Without private subnets, two public subnets will do.
        const publicOnly = { vpcId: VPC, publicSubnetIds: privateSubnetIds, privateSubnetIds: [] };
        assert.deepStrictEqual(parseConfig({ vpcId: VPC, publicSubnetIds: json }), {
            ...DEFAULTS,
            existingVpc: publicOnly,
        });
    });

    it("accepts admin role and user ARNs, in any partition", () => {
        const arns = [
            ADMIN_ROLE,
            "arn:aws:iam::123456789012:user/ops/alice",
            "arn:aws-us-gov:iam::210987654321:role/platform/Admin",
        ];
        for (const value of [JSON.stringify(arns), arns.join(", ")]) {
            const raw = { adminPrincipalArns: value };
            assert.deepStrictEqual(parseConfig(raw), { ...DEFAULTS, adminPrincipalArns: arns });
        }
    });

    describe("rejects each bad value, naming the key, quoting the value and saying what is allowed", () => {
        for (const [key, values, allowed] of BAD_VALUES) {
            for (const v of values) {
                const shown = v.length > 40 ? `${v.slice(0, 36)}...` : v;
                it(`${key} = ${JSON.stringify(shown)}`, () => {
                    // The vpcId cases come with valid subnets, so the only problem is the vpcId.
                    const subnets = key === "vpcId" ? { privateSubnetIds: TWO_SUBNETS } : {};
                    // An SSH key is echoed only in part: a private key pasted by mistake stays out of logs.
                    const echoed =
                        key === "sshPublicKey" && v.length > 24 ? `${v.slice(0, 24)}...` : v;
                    assertRejected({ [key]: v, ...subnets }, [
                        `${key} = ${JSON.stringify(echoed)}: ${allowed}`,
                    ]);
                });
            }
        }

        it("each malformed subnet ID, in a JSON array or a comma-separated list", () => {
            assertRejected(
                {
                    vpcId: VPC,
                    privateSubnetIds: `["${SUBNET_A}","subnet-12"]`,
                    publicSubnetIds: "sn-1, subnet-X",
                },
                [
                    `publicSubnetIds = "sn-1": ${SUBNET_RULE}`,
                    `publicSubnetIds = "subnet-X": ${SUBNET_RULE}`,
                    `privateSubnetIds = "subnet-12": ${SUBNET_RULE}`,
                ],
            );
            assertRejected(
                { vpcId: VPC, publicSubnetIds: TWO_SUBNETS, privateSubnetIds: `["${SUBNET_A}",` },
                [
                    `privateSubnetIds = ${JSON.stringify(`["${SUBNET_A}",`)}: expected a JSON array or a comma-separated list of ${SUBNET_RULE.slice(9)}`,
                ],
            );
        });

        it("subnets without a vpcId, and a vpcId with fewer than two subnets", () => {
            assertRejected({ privateSubnetIds: TWO_SUBNETS }, [
                "publicSubnetIds/privateSubnetIds are set but vpcId is not: set vpcId to use an existing VPC, or unset the subnets to let the program create one",
            ]);
            const twoZones =
                "expected at least two distinct subnets in different availability zones in privateSubnetIds (for the nodes) or, without private subnets, in publicSubnetIds";
            assertRejected({ vpcId: VPC, privateSubnetIds: SUBNET_A, publicSubnetIds: `[]` }, [
                `vpcId = "${VPC}", privateSubnetIds = ["${SUBNET_A}"]: ${twoZones}`,
            ]);
            // Nodes go to the private subnets when there are any: one is too few, whatever the public ones.
            assertRejected(
                { vpcId: VPC, privateSubnetIds: SUBNET_A, publicSubnetIds: TWO_SUBNETS },
                [`vpcId = "${VPC}", privateSubnetIds = ["${SUBNET_A}"]: ${twoZones}`],
            );
            // The same subnet twice is one subnet.
            assertRejected({ vpcId: VPC, privateSubnetIds: `${SUBNET_A},${SUBNET_A}` }, [
                `vpcId = "${VPC}", privateSubnetIds = ["${SUBNET_A}","${SUBNET_A}"]: ${twoZones}`,
            ]);
        });

        it("an admin ARN listed twice, once", () => {
            const other = "arn:aws:iam::123456789012:user/bob";
            assertRejected(
                { adminPrincipalArns: [ADMIN_ROLE, other, ADMIN_ROLE, ADMIN_ROLE].join(",") },
                [
                    `adminPrincipalArns = "${ADMIN_ROLE}": listed more than once; EKS takes one access entry per principal`,
                ],
            );
        });

        it("each malformed admin ARN", () => {
            const bad = ["arn:aws:iam::12345:role/A", "arn:aws:sts::123456789012:assumed-role/A"];
            const raw = { adminPrincipalArns: JSON.stringify([ADMIN_ROLE, ...bad]) };
            assertRejected(
                raw,
                bad.map((v) => `adminPrincipalArns = "${v}": ${ARN_RULE}`),
            );
        });

        it("node counts out of order", () => {
            const order = "expected nodeMinCount <= nodeDesiredCount <= nodeMaxCount";
            assertRejected({ nodeMinCount: "3" }, [
                `nodeMinCount = 3, nodeDesiredCount = 2, nodeMaxCount = 3: ${order}`,
            ]);
            assertRejected({ nodeDesiredCount: "4" }, [
                `nodeMinCount = 2, nodeDesiredCount = 4, nodeMaxCount = 3: ${order}`,
            ]);
        });

        // An out-of-range count is reported once: the order of the counts is checked only
        // when all three are valid.
        for (const key of ["nodeDesiredCount", "nodeMinCount", "nodeMaxCount"]) {
            for (const v of ["0", "51", "two", "2.5"]) {
                it(`${key} = "${v}"`, () => {
                    assertRejected({ [key]: v }, [
                        `${key} = "${v}": expected a whole number from 1 to 50`,
                    ]);
                });
            }
        }

        it("an unknown key, listing the known settings", () => {
            assertRejected({ routng: "all-v1" }, [UNKNOWN_ROUTNG]);
        });
    });

    it("reports every problem at once, one per bad key", () => {
        const raw = {
            routng: "all-v1",
            routing: "jason-v3",
            nodeMinCount: "two",
            sshPublicKey: "-----BEGIN OPENSSH PRIVATE KEY-----",
            appNamespace: "default",
            loadBalancerType: "alb",
        };
        assert.throws(
            () => parseConfig(raw),
            (err: unknown) => {
                assert.ok(err instanceof ConfigError);
                assert.strictEqual(err.problems.length, Object.keys(raw).length);
                const keys = err.problems.map((p) => p.split(/[ =]/)[0]);
                assert.deepStrictEqual(keys, Object.keys(raw));
                assert.strictEqual(err.message.split("\n  - ").length, Object.keys(raw).length + 1);
                return true;
            },
        );
    });
});

describe("isValidSshPublicKey", () => {
    const cases: [string, string, boolean][] = [
        ["ed25519 with a comment", ED25519, true],
        ["ed25519 without a comment", ed25519PublicKey(""), true],
        ["ed25519 with surrounding whitespace", `  ${ED25519}\n`, true],
        ["rsa 2048 with a comment", RSA, true],
        ["rsa 1024 without a comment", rsaPublicKey(1024, ""), true],
        ["rsa under 1024 bits", rsaPublicKey(512), false],
        ["the empty string", "", false],
        ["a type without a body", "ssh-ed25519", false],
        ["a body that is not base64", "ssh-ed25519 AAAA*AAA", false],
        ["a body whose length is not a multiple of 4", `ssh-ed25519 ${ED25519_BODY}A`, false],
        ["a body cut short", `ssh-ed25519 ${ED25519_BODY.slice(0, 48)}`, false],
        ["a body of another type than the line says", `ssh-ed25519 ${RSA.split(" ")[1]}`, false],
        ["an ecdsa key", ecdsaPublicKey(), false],
        ["a private key header", "-----BEGIN OPENSSH PRIVATE KEY-----", false],
        ["authorized_keys options before the type", `no-pty ${ED25519}`, false],
    ];
    for (const [what, line, valid] of cases) {
        it(`${valid ? "accepts" : "rejects"} ${what}`, () => {
            assert.strictEqual(isValidSshPublicKey(line), valid);
        });
    }
});

describe("the default istioVersion", () => {
    it("is the one the README traces to Istio's release notes", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        const stated =
            /The default `istioVersion`, (\S+), is the newest (\S+) patch in Istio's own release notes\s+\(\[\S+ releases\]\((\S+)\)\)/.exec(
                readme,
            );
        assert.ok(stated, "the README says where the default comes from");
        const [, version, minor, notes] = stated;
        assert.equal(version, CONFIG_KEYS.istioVersion.default);
        assert.equal(`${minor}.`, version.replace(/\d+$/, ""));
        assert.equal(notes, `https://istio.io/latest/news/releases/${minor}.x/`);
    });
});

describe("Pulumi.local.yaml", () => {
    it("pins the kind cluster that the README creates, and passes the settings' checks", () => {
        const root = path.join(__dirname, "..");
        const settings = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.local.yaml"), "utf8"))
            .config as Record<string, string>;
        const own = Object.fromEntries(
            Object.entries(settings)
                .filter(([k]) => k.startsWith("istio-eks:"))
                .map(([k, v]) => [k.slice("istio-eks:".length), v]),
        );
        const kindName = /kind create cluster --name (\S+)/.exec(
            fs.readFileSync(path.join(root, "README.md"), "utf8"),
        )?.[1];
        assert.equal(kindName, "istio-lab");
        assert.deepStrictEqual(parseConfig(own, settings).existingCluster, {
            context: `kind-${kindName}`,
        });
    });
});

describe("Pulumi.yaml", () => {
    const project = YAML.parse(
        fs.readFileSync(path.join(__dirname, "..", "Pulumi.yaml"), "utf8"),
    ) as { config: Record<string, unknown> };

    it("declares exactly the keys of CONFIG_KEYS", () => {
        assert.deepStrictEqual(Object.keys(project.config).sort(), Object.keys(CONFIG_KEYS).sort());
    });

    for (const [key, spec] of Object.entries(CONFIG_KEYS) as [string, ConfigKeySpec][]) {
        it(`declares ${key} with the same type, default and description`, () => {
            assert.deepStrictEqual(project.config[key], {
                type: spec.type,
                ...(spec.type === "array" ? { items: { type: "string" } } : {}),
                ...(spec.default !== undefined ? { default: spec.default } : {}),
                description: spec.description,
            });
        });
    }
});

describe("readConfig", () => {
    before(async () => {
        await pulumi.runtime.setMocks(
            { newResource: (a) => ({ id: a.name, state: a.inputs }), call: () => ({}) },
            "istio-eks",
            "dev",
            false,
        );
    });
    after(() => pulumi.runtime.setAllConfig({}));

    it("reads this project's settings without the prefix and ignores other namespaces", () => {
        pulumi.runtime.setAllConfig({ "istio-eks:routing": "all-v1", "aws:region": "us-west-2" });
        assert.deepStrictEqual(rawStackConfig(), { routing: "all-v1" });
        assert.deepStrictEqual(readConfig(), withMode("all-v1"));
    });

    it("reads the AWS profile of the stack's AWS provider", () => {
        pulumi.runtime.setAllConfig({ "aws:profile": "lab-admin", "aws:region": "us-west-2" });
        assert.deepStrictEqual(providerSettings(), { "aws:profile": "lab-admin" });
        assert.deepStrictEqual(readConfig(), { ...DEFAULTS, awsProfile: "lab-admin" });
    });

    it("reads the Kubernetes provider's context and kubeconfig for an existing cluster", () => {
        pulumi.runtime.setAllConfig({
            "istio-eks:cluster": "existing",
            "kubernetes:context": "kind-istio-lab",
            "kubernetes:kubeconfig": "/home/me/.kube/lab",
            "kubernetes:namespace": "ignored",
        });
        assert.deepStrictEqual(providerSettings(), {
            "kubernetes:context": "kind-istio-lab",
            "kubernetes:kubeconfig": "/home/me/.kube/lab",
        });
        assert.deepStrictEqual(readConfig().existingCluster, {
            context: "kind-istio-lab",
            kubeconfig: "/home/me/.kube/lab",
        });
    });

    it("rejects an unknown key of this project", () => {
        pulumi.runtime.setAllConfig({ "istio-eks:routng": "all-v1", "aws:region": "us-west-2" });
        assertConfigError(() => readConfig(), [UNKNOWN_ROUTNG]);
    });
});
