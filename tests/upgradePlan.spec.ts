import * as assert from "assert/strict";
import * as fs from "fs";
import * as path from "path";

import { istiodService, revisionTagService, revisionTagWebhook } from "../lib/revisionTags";
import {
    ISTIO_CHART_REPO,
    compareVersions,
    ISTIO_SUPPORT,
    IstioVersions,
    meshPlan,
    MeshPlan,
    minorOf,
    revisionOf,
    versionProblems,
} from "../lib/upgrade";

/** The canary sequence of the README, step by step. */
const STEPS = {
    installed: { version: "1.30.5" },
    canaryInstalled: { version: "1.30.5", canaryVersion: "1.31.1" },
    appOnCanary: { version: "1.30.5", canaryVersion: "1.31.1", dataplaneRevision: "canary" },
    promoted: { version: "1.31.1", revision: "1-31-1", dataplaneRevision: "canary" },
} satisfies Record<string, IstioVersions>;

const stable = (version: string, revision = "") => ({
    role: "stable",
    version,
    revision,
    releaseName: revision === "" ? "istiod" : `istiod-${revision}`,
});
const canary = (version: string) => ({
    role: "canary",
    version,
    revision: revisionOf(version),
    releaseName: `istiod-${revisionOf(version)}`,
});
const annotations = (version: string, controlPlane: string) => ({
    "istio-eks/proxy-version": version,
    "istio-eks/control-plane": controlPlane,
});

describe("Istio's support matrix", () => {
    it("lists the Kubernetes minors each Istio minor supports, as istio.io's support-status table does", () => {
        assert.deepEqual(
            Object.fromEntries(
                Object.entries(ISTIO_SUPPORT).map(([minor, s]) => [
                    minor,
                    `${s.kubernetes[0]}..${s.kubernetes[s.kubernetes.length - 1]}`,
                ]),
            ),
            {
                "1.31": "1.32..1.37",
                "1.30": "1.32..1.36",
                "1.29": "1.31..1.35",
                "1.28": "1.30..1.34",
            },
        );
        for (const [minor, s] of Object.entries(ISTIO_SUPPORT)) {
            const minors = s.kubernetes.map((k) => Number(k.split(".")[1]));
            assert.deepEqual(
                minors,
                minors.map((_, i) => minors[0] + i),
                `${minor}: consecutive Kubernetes minors`,
            );
        }
    });

    it("installs every version from blob.istio.io, the repository Istio keeps publishing to", () => {
        assert.equal(ISTIO_CHART_REPO, "https://blob.istio.io/istio-release/charts");
    });
});

describe("versions and revisions", () => {
    it("names a version's revision as Istio does, and reads its minor", () => {
        assert.equal(revisionOf("1.31.1"), "1-31-1");
        assert.equal(revisionOf("1.31.0-rc.1"), "1-31-0-rc-1");
        assert.equal(minorOf("1.31.1"), "1.31");
    });

    it("orders versions numerically, a pre-release before its release", () => {
        const sorted = [
            "1.31.0",
            "1.30.10",
            "1.31.0-rc.2",
            "1.30.9",
            "1.31.0-rc.10",
            "1.31.1",
        ].sort(compareVersions);
        assert.deepEqual(sorted, [
            "1.30.9",
            "1.30.10",
            "1.31.0-rc.2",
            "1.31.0-rc.10",
            "1.31.0",
            "1.31.1",
        ]);
        assert.equal(compareVersions("1.30.5", "1.30.5"), 0);
    });
});

describe("versionProblems", () => {
    it("accepts every step of an upgrade on a supported Kubernetes version", () => {
        for (const step of Object.values(STEPS)) {
            assert.deepEqual(versionProblems(step, "1.35"), []);
        }
        assert.deepEqual(versionProblems({ version: "1.31.1", revision: "1-31-1" }, "1.37"), []);
    });

    it("refuses an Istio minor outside the matrix, naming the setting and the known minors", () => {
        assert.deepEqual(versionProblems({ version: "1.27.3" }), [
            'istioVersion = "1.27.3": Istio 1.27 is not in the support matrix; expected one of 1.31, 1.30, 1.29, 1.28',
        ]);
        assert.deepEqual(versionProblems({ version: "1.30.5", canaryVersion: "1.32.0" }), [
            'istioCanaryVersion = "1.32.0": Istio 1.32 is not in the support matrix; expected one of 1.31, 1.30, 1.29, 1.28',
        ]);
    });

    it("refuses a Kubernetes version the Istio version does not support, naming both", () => {
        assert.deepEqual(versionProblems({ version: "1.28.4" }, "1.35"), [
            'istioVersion = "1.28.4", kubernetesVersion = "1.35": Istio 1.28 supports Kubernetes 1.30 to 1.34, not 1.35',
        ]);
        assert.deepEqual(versionProblems({ version: "1.30.5", canaryVersion: "1.31.1" }, "1.31"), [
            'istioVersion = "1.30.5", kubernetesVersion = "1.31": Istio 1.30 supports Kubernetes 1.32 to 1.36, not 1.31',
            'istioCanaryVersion = "1.31.1", kubernetesVersion = "1.31": Istio 1.31 supports Kubernetes 1.32 to 1.37, not 1.31',
        ]);
    });

    it("refuses a canary that is not newer than the stable control plane", () => {
        for (const canaryVersion of ["1.30.5", "1.30.4", "1.30.5-rc.1"]) {
            assert.deepEqual(versionProblems({ version: "1.30.5", canaryVersion }), [
                `istioCanaryVersion = "${canaryVersion}": expected a version newer than istioVersion "1.30.5"; ` +
                    "a canary is the next version of the stable control plane",
            ]);
        }
    });

    it("refuses a stable revision that is the canary's, and says how to promote", () => {
        assert.deepEqual(
            versionProblems({ version: "1.30.5", revision: "1-31-1", canaryVersion: "1.31.1" }),
            [
                'istioRevision = "1-31-1": the canary\'s own revision; to promote the canary, set istioVersion to "1.31.1" and remove istioCanaryVersion',
            ],
        );
    });

    it("refuses revision names Kubernetes or the tags would not allow", () => {
        for (const revision of ["1.31.1", "Canary", "-1-31", "stable", "canary", "default"]) {
            assert.match(
                versionProblems({ version: "1.31.1", revision }).join("\n"),
                new RegExp(
                    `^istioRevision = "${revision}": expected a revision name such as "1-31-1"`,
                ),
            );
        }
    });

    it("refuses the canary tag when there are no revisions", () => {
        assert.deepEqual(versionProblems({ version: "1.30.5", dataplaneRevision: "canary" }), [
            'dataplaneRevision = "canary": needs revisions; set istioCanaryVersion (a canary control plane), or istioRevision after promoting one',
        ]);
    });
});

describe("meshPlan", () => {
    it("installed: the default control plane, no tags, the namespace labelled istio-injection=enabled", () => {
        const expected: MeshPlan = {
            baseVersion: "1.30.5",
            defaultRevision: "default",
            controlPlanes: [stable("1.30.5")],
            tags: [],
            dataplane: stable("1.30.5"),
            dataplaneTag: undefined,
            namespaceLabels: { "istio-injection": "enabled" },
            gatewayRevision: "",
            gatewayVersion: "1.30.5",
            podAnnotations: annotations("1.30.5", "default"),
        } as MeshPlan;
        assert.deepEqual(meshPlan(STEPS.installed), expected);
    });

    it("in place: only the versions change, so nothing is renamed and every workload rolls", () => {
        const before = meshPlan({ version: "1.30.4" });
        const after = meshPlan({ version: "1.30.5" });
        assert.deepEqual(after, meshPlan(STEPS.installed));
        assert.deepEqual(
            before.controlPlanes.map((cp) => cp.releaseName),
            after.controlPlanes.map((cp) => cp.releaseName),
        );
        assert.deepEqual(before.podAnnotations, annotations("1.30.4", "default"));
        // A revisioned stable control plane upgrades in place too: its revision stays.
        assert.deepEqual(meshPlan({ version: "1.31.2", revision: "1-31-1" }).controlPlanes, [
            stable("1.31.2", "1-31-1"),
        ]);
    });

    it("canary installed: a second control plane, CRDs at its version, tags on both, workloads untouched", () => {
        const plan = meshPlan(STEPS.canaryInstalled);
        assert.deepEqual(plan, {
            baseVersion: "1.31.1",
            defaultRevision: "default",
            controlPlanes: [stable("1.30.5"), canary("1.31.1")],
            tags: [
                { tag: "stable", revision: "" },
                { tag: "canary", revision: "1-31-1" },
            ],
            dataplane: stable("1.30.5"),
            dataplaneTag: "stable",
            namespaceLabels: { "istio.io/rev": "stable" },
            // The stable tag names the default revision, which injects the unlabelled gateway.
            gatewayRevision: "",
            gatewayVersion: "1.30.5",
            podAnnotations: annotations("1.30.5", "default"),
        });
        const installed = meshPlan(STEPS.installed);
        assert.deepEqual(plan.podAnnotations, installed.podAnnotations);
        assert.deepEqual(plan.controlPlanes[0], installed.controlPlanes[0]);
    });

    it("app on canary: the namespace, the workloads and the gateway follow the canary tag", () => {
        assert.deepEqual(meshPlan(STEPS.appOnCanary), {
            ...meshPlan(STEPS.canaryInstalled),
            dataplane: canary("1.31.1"),
            dataplaneTag: "canary",
            namespaceLabels: { "istio.io/rev": "canary" },
            gatewayRevision: "canary",
            gatewayVersion: "1.31.1",
            podAnnotations: annotations("1.31.1", "1-31-1"),
        });
    });

    it("promoted: the canary's revision is the stable one, both tags point at it, the old control plane is gone", () => {
        const promoted = meshPlan(STEPS.promoted);
        assert.deepEqual(promoted, {
            baseVersion: "1.31.1",
            defaultRevision: "1-31-1",
            controlPlanes: [stable("1.31.1", "1-31-1")],
            tags: [
                { tag: "stable", revision: "1-31-1" },
                { tag: "canary", revision: "1-31-1" },
            ],
            dataplane: stable("1.31.1", "1-31-1"),
            dataplaneTag: "canary",
            namespaceLabels: { "istio.io/rev": "canary" },
            gatewayRevision: "canary",
            gatewayVersion: "1.31.1",
            podAnnotations: annotations("1.31.1", "1-31-1"),
        });
        // The canary's release is the promoted stable one: same name, revision and version.
        assert.equal(
            promoted.controlPlanes[0].releaseName,
            meshPlan(STEPS.appOnCanary).controlPlanes[1].releaseName,
        );
        // Workloads still on stable roll onto the new revision.
        const fromStable = meshPlan({ version: "1.31.1", revision: "1-31-1" });
        assert.deepEqual(fromStable.podAnnotations, annotations("1.31.1", "1-31-1"));
        assert.deepEqual(fromStable.namespaceLabels, { "istio.io/rev": "stable" });
        assert.equal(fromStable.gatewayRevision, "stable");
    });

    it("canary removed without promotion: back to the installed plan", () => {
        assert.deepEqual(
            meshPlan({ version: "1.30.5", dataplaneRevision: "stable" }),
            meshPlan(STEPS.installed),
        );
    });

    it("refuses bad versions with every problem, before anything is built", () => {
        assert.throws(
            () => meshPlan({ version: "1.30", canaryVersion: "latest" }),
            (err: Error) =>
                err.message ===
                'Invalid Istio versions:\n  - "1.30": expected a chart version MAJOR.MINOR.PATCH, e.g. "1.30.5"\n' +
                    '  - "latest": expected a chart version MAJOR.MINOR.PATCH, e.g. "1.30.5"',
        );
        assert.throws(
            () => meshPlan({ version: "1.31.1", canaryVersion: "1.30.5" }),
            /istioCanaryVersion = "1.30.5": expected a version newer than istioVersion "1.31.1"/,
        );
    });
});

// kubernetes-models is ESM only; keep import() from becoming require().
const importEsm = new Function("specifier", "return import(specifier)") as (
    specifier: string,
) => Promise<Record<string, new (data: object) => { validate(): void }>>;

describe("revision tag objects", () => {
    it("a tag's webhook sends pods of namespaces labelled with it, and pods labelled with it, to its revision's injector", () => {
        const hook = (name: string, namespaceSelector: object, objectSelector: object) => ({
            name,
            clientConfig: {
                service: {
                    name: "istiod-1-31-1",
                    namespace: "istio-system",
                    path: "/inject",
                    port: 443,
                },
            },
            sideEffects: "None",
            rules: [
                {
                    operations: ["CREATE"],
                    apiGroups: [""],
                    apiVersions: ["v1"],
                    resources: ["pods"],
                },
            ],
            failurePolicy: "Fail",
            reinvocationPolicy: "Never",
            admissionReviewVersions: ["v1"],
            namespaceSelector,
            objectSelector,
        });
        const notDisabled = {
            key: "sidecar.istio.io/inject",
            operator: "NotIn",
            values: ["false"],
        };
        assert.deepEqual(revisionTagWebhook("canary", "1-31-1", "istio-system"), {
            apiVersion: "admissionregistration.k8s.io/v1",
            kind: "MutatingWebhookConfiguration",
            metadata: {
                name: "istio-revision-tag-canary",
                labels: {
                    "istio.io/tag": "canary",
                    "istio.io/rev": "1-31-1",
                    app: "sidecar-injector",
                    "app.kubernetes.io/name": "istiod",
                },
            },
            webhooks: [
                hook(
                    "rev.namespace.sidecar-injector.istio.io",
                    {
                        matchExpressions: [
                            { key: "istio.io/rev", operator: "In", values: ["canary"] },
                            { key: "istio-injection", operator: "DoesNotExist" },
                        ],
                    },
                    { matchExpressions: [notDisabled] },
                ),
                hook(
                    "rev.object.sidecar-injector.istio.io",
                    {
                        matchExpressions: [
                            { key: "istio.io/rev", operator: "DoesNotExist" },
                            { key: "istio-injection", operator: "DoesNotExist" },
                        ],
                    },
                    {
                        matchExpressions: [
                            notDisabled,
                            { key: "istio.io/rev", operator: "In", values: ["canary"] },
                        ],
                    },
                ),
            ],
        });
    });

    it("the default revision is reached through the istiod Service and labelled default", () => {
        assert.equal(istiodService(""), "istiod");
        const webhook = revisionTagWebhook("stable", "", "istio-system");
        assert.equal(webhook.metadata.labels["istio.io/rev"], "default");
        assert.equal(webhook.webhooks[1].clientConfig.service.name, "istiod");
        assert.deepEqual(revisionTagService("stable", "", "istio-system").spec.selector, {
            app: "istiod",
            istio: "pilot",
        });
    });

    it("a tag's Service carries istiod's ports and selects the revision's pods", () => {
        assert.deepEqual(revisionTagService("stable", "1-31-1", "istio-system"), {
            apiVersion: "v1",
            kind: "Service",
            metadata: {
                name: "istiod-revision-tag-stable",
                namespace: "istio-system",
                labels: {
                    "istio.io/tag": "stable",
                    "istio.io/rev": "1-31-1",
                    app: "istiod",
                    istio: "pilot",
                },
            },
            spec: {
                ports: [
                    { port: 15010, name: "grpc-xds", protocol: "TCP" },
                    { port: 15012, name: "https-dns", protocol: "TCP" },
                    { port: 443, name: "https-webhook", targetPort: 15017, protocol: "TCP" },
                    { port: 15014, name: "http-monitoring", protocol: "TCP" },
                ],
                selector: { app: "istiod", "istio.io/rev": "1-31-1" },
            },
        });
    });

    it("both validate against the Kubernetes schemas", async () => {
        const { MutatingWebhookConfiguration } = await importEsm(
            "kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration",
        );
        const { Service } = await importEsm("kubernetes-models/v1/Service");
        for (const revision of ["", "1-31-1"]) {
            new MutatingWebhookConfiguration(
                revisionTagWebhook("stable", revision, "istio-system"),
            ).validate();
            new Service(revisionTagService("canary", revision, "istio-system")).validate();
        }
    });
});

describe("the README's support matrix", () => {
    it("is ISTIO_SUPPORT, row by row", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
        const table = /<!-- istio-support:[^>]*-->([\s\S]*?)<!-- \/istio-support -->/.exec(readme);
        assert.ok(table, "README has the istio-support table");
        const rows = table[1]
            .split("\n")
            .filter((line) => /^\| \d/.test(line))
            .map((line) =>
                line
                    .split("|")
                    .slice(1, -1)
                    .map((cell) => cell.trim()),
            );
        assert.deepEqual(
            rows,
            Object.entries(ISTIO_SUPPORT).map(([minor, s]) => [
                minor,
                `${s.kubernetes[0]} to ${s.kubernetes[s.kubernetes.length - 1]}`,
            ]),
        );
    });
});
