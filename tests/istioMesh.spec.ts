import * as assert from "assert/strict";

import * as k8s from "@pulumi/kubernetes";

import {
    GatewayServiceType,
    IstioMesh,
    IstioMeshArgs,
    LoadBalancerType,
} from "../components/istioMesh";
import { GATEWAY_SERVICE_TYPES, LOAD_BALANCER_TYPES } from "../lib/config";
import { MOCK, runPulumi, valueOf } from "./harness";

const REPO = "https://blob.istio.io/istio-release/charts";
const GATEWAY_PORTS = [
    { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
    { name: "http2", port: 80, protocol: "TCP", targetPort: 80 },
    { name: "https", port: 443, protocol: "TCP", targetPort: 443 },
];

/** A release's inputs without the SDK's own `compat` marker. */
function chartInputs(inputs: Record<string, unknown>) {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { compat, ...rest } = inputs;
    return rest;
}

/**
 * The property paths (as `replaceOnChanges` spells them) whose values differ between two inputs,
 * down to the leaves: what the engine's diff of a Helm release reports.
 */
function changedPaths(a: unknown, b: unknown, at = ""): string[] {
    const isMap = (v: unknown): v is Record<string, unknown> =>
        v !== null && typeof v === "object" && !Array.isArray(v);
    if (isMap(a) && isMap(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        return keys.flatMap((k) =>
            changedPaths(a[k], b[k], /^\w+$/.test(k) ? (at ? `${at}.${k}` : k) : `${at}["${k}"]`),
        );
    }
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [at];
}

/** Whether the engine replaces a resource for a change at `path`, given its replaceOnChanges. */
function replacesOn(path: string, replaceOnChanges: string[]): boolean {
    return replaceOnChanges.some(
        (p) => path === p || path.startsWith(`${p}.`) || path.startsWith(`${p}[`),
    );
}

function build(args: Partial<IstioMeshArgs> = {}) {
    return runPulumi(() => {
        const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
        return new IstioMesh(
            "mesh",
            { version: "1.30.5", loadBalancerType: "nlb", ...args },
            { provider },
        );
    });
}

describe("IstioMesh", () => {
    it("takes as serviceType and loadBalancerType exactly the values the stack settings take", () => {
        assert.deepEqual(GATEWAY_SERVICE_TYPES, ["LoadBalancer", "NodePort"]);
        assert.deepEqual(GATEWAY_SERVICE_TYPES, Object.values(GatewayServiceType));
        assert.deepEqual(LOAD_BALANCER_TYPES, ["nlb", "clb"]);
        assert.deepEqual(LOAD_BALANCER_TYPES, Object.values(LoadBalancerType));
    });

    it("installs base, istiod and the gateway from Istio's chart repository at one version, with fixed release names", async () => {
        const run = await build();
        const releases = run.ofType("kubernetes:helm.sh/v3:Release");
        assert.deepEqual(
            releases.map((r) => r.name),
            ["mesh-base", "mesh-istiod", "mesh-gateway"],
        );
        assert.deepEqual(chartInputs(run.named("mesh-base").inputs), {
            chart: "base",
            version: "1.30.5",
            repositoryOpts: { repo: REPO },
            name: "istio-base",
            namespace: "istio-system",
            values: { defaultRevision: "default" },
        });
        assert.deepEqual(chartInputs(run.named("mesh-istiod").inputs), {
            chart: "istiod",
            version: "1.30.5",
            repositoryOpts: { repo: REPO },
            name: "istiod",
            namespace: "istio-system",
            values: {},
        });
        assert.deepEqual(chartInputs(run.named("mesh-gateway").inputs), {
            chart: "gateway",
            version: "1.30.5",
            repositoryOpts: { repo: REPO },
            name: "istio-ingressgateway",
            namespace: "istio-ingress",
            timeout: 900,
            values: {
                podAnnotations: {
                    "istio-eks/proxy-version": "1.30.5",
                    "istio-eks/control-plane": "default",
                },
                service: {
                    type: "LoadBalancer",
                    ports: GATEWAY_PORTS,
                    annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" },
                },
            },
        });
    });

    it("replaces the gateway, deleting the old one first, when its load balancer would change", async () => {
        const run = await build();
        assert.deepEqual(run.named("mesh-gateway").options, {
            replaceOnChanges: ["values.service.type", "values.service.annotations"],
            deleteBeforeReplace: true,
            customTimeouts: { create: "", update: "", delete: "" },
        });
        for (const name of ["mesh-base", "mesh-istiod"]) {
            assert.deepEqual(run.named(name).options?.replaceOnChanges, [], name);
            assert.equal(run.named(name).options?.deleteBeforeReplace, false, name);
        }
    });

    const lbChanges: [string, Partial<IstioMeshArgs>, Partial<IstioMeshArgs>][] = [
        ["nlb -> clb", { loadBalancerType: "nlb" }, { loadBalancerType: "clb" }],
        ["clb -> nlb", { loadBalancerType: "clb" }, { loadBalancerType: "nlb" }],
        ["nlb -> NodePort", {}, { serviceType: "NodePort" }],
        ["NodePort -> clb", { serviceType: "NodePort" }, { loadBalancerType: "clb" }],
        ["nlb -> the cloud's default", {}, { loadBalancerType: undefined }],
    ];
    for (const [change, before, after] of lbChanges) {
        it(`${change}: every changed value of the gateway makes the engine replace it, so no load balancer is orphaned`, async () => {
            const [a, b] = [await build(before), await build(after)];
            const paths = changedPaths(
                a.named("mesh-gateway").inputs,
                b.named("mesh-gateway").inputs,
            );
            assert.notDeepEqual(paths, []);
            const replaceOnChanges = b.named("mesh-gateway").options!.replaceOnChanges;
            for (const path of paths) {
                assert.ok(replacesOn(path, replaceOnChanges), `${path} is not replaced`);
            }
            assert.deepEqual(
                changedPaths(a.named("mesh-istiod").inputs, b.named("mesh-istiod").inputs),
                [],
            );
        });
    }

    it("updates the gateway in place for a new chart version: only load balancer changes replace it", async () => {
        const [a, b] = [await build(), await build({ version: "1.30.4" })];
        const paths = changedPaths(a.named("mesh-gateway").inputs, b.named("mesh-gateway").inputs);
        // The chart, and the pod annotation that rolls the gateway onto the new proxy.
        assert.deepEqual(paths, ['values.podAnnotations["istio-eks/proxy-version"]', "version"]);
        for (const path of paths) {
            assert.equal(
                replacesOn(path, b.named("mesh-gateway").options!.replaceOnChanges),
                false,
            );
        }
    });

    it("updates the gateway in place when it follows another control plane: only load balancer changes replace it", async () => {
        const [a, b] = [
            await build(),
            await build({ canaryVersion: "1.31.1", dataplaneRevision: "canary" }),
        ];
        const paths = changedPaths(a.named("mesh-gateway").inputs, b.named("mesh-gateway").inputs);
        assert.deepEqual(paths, [
            'values.podAnnotations["istio-eks/control-plane"]',
            'values.podAnnotations["istio-eks/proxy-version"]',
            "values.revision",
            "version",
        ]);
        for (const path of paths) {
            assert.equal(
                replacesOn(path, b.named("mesh-gateway").options!.replaceOnChanges),
                false,
            );
        }
    });

    it("passes extra mesh config to istiod's chart, and nothing without it", async () => {
        const meshConfig = {
            enableTracing: true,
            extensionProviders: [
                {
                    name: "jaeger",
                    opentelemetry: { service: "jaeger.istio-system.svc.cluster.local", port: 4317 },
                },
            ],
        };
        const run = await build({ meshConfig });
        assert.deepEqual(run.named("mesh-istiod").inputs.values, { meshConfig });
        assert.deepEqual(run.named("mesh-base").inputs.values, { defaultRevision: "default" });
    });

    it("creates its namespaces, so that destroy removes them", async () => {
        const run = await build();
        assert.deepEqual(
            run.ofType("kubernetes:core/v1:Namespace").map((n) => [n.name, n.inputs.metadata]),
            [
                ["mesh-system", { name: "istio-system" }],
                ["mesh-ingress", { name: "istio-ingress" }],
            ],
        );
    });

    it("orders the releases base -> istiod -> gateway", async () => {
        const run = await build();
        assert.deepEqual(run.dependencyNames(run.named("mesh-base")), ["mesh-system"]);
        assert.deepEqual(run.dependencyNames(run.named("mesh-istiod")), [
            "mesh-base",
            "mesh-system",
        ]);
        assert.deepEqual(run.dependencyNames(run.named("mesh-gateway")), [
            "mesh-ingress",
            "mesh-istiod",
        ]);
    });

    it("asks for a Classic Load Balancer when told to, and for no particular one when not told", async () => {
        const clb = await build({ loadBalancerType: "clb" });
        assert.deepEqual(clb.named("mesh-gateway").inputs.values.service.annotations, {});
        const any = await build({ loadBalancerType: undefined });
        assert.deepEqual(any.named("mesh-gateway").inputs.values.service, {
            type: "LoadBalancer",
            ports: GATEWAY_PORTS,
            annotations: {},
        });
    });

    it("exposes a NodePort gateway through kubectl port-forward, reading no load balancer", async () => {
        const run = await build({ serviceType: "NodePort" });
        assert.deepEqual(run.named("mesh-gateway").inputs.values.service, {
            type: "NodePort",
            ports: GATEWAY_PORTS,
            annotations: {},
        });
        assert.equal(run.has("mesh-gateway-service"), false);
        const mesh = run.result;
        assert.equal(
            mesh.portForwardCommand,
            "kubectl port-forward -n istio-ingress svc/istio-ingressgateway 8080:80",
        );
        assert.equal(await valueOf(mesh.ingressHost), "localhost");
        assert.equal(await valueOf(mesh.ingressPort), 8080);
        assert.equal((await build()).result.portForwardCommand, undefined);
    });

    it("reads the gateway Service after the release, and exposes its load balancer's host and port", async () => {
        const run = await build();
        const service = run.named("mesh-gateway-service");
        assert.equal(service.read, true);
        assert.equal(service.type, "kubernetes:core/v1:Service");
        assert.equal(service.id, "istio-ingress/istio-ingressgateway");
        assert.deepEqual(run.dependencyNames(service), ["mesh-gateway"]);

        const mesh = run.result;
        assert.equal(await valueOf(mesh.ingressHost), MOCK.ingressHostname);
        assert.equal(await valueOf(mesh.ingressPort), 80);
    });

    it("exposes the gateway pods' labels and HTTP port for Gateway resources, and what must be ready first", async () => {
        const run = await build();
        const mesh = run.result;
        assert.deepEqual(mesh.gatewayPodLabels, {
            app: "istio-ingressgateway",
            istio: "ingressgateway",
        });
        assert.equal(mesh.gatewayHttpTargetPort, 80);
        assert.deepEqual(mesh.ready, [mesh.base, mesh.istiod]);
    });

    it("puts every resource under the component and on the given provider", async () => {
        const run = await build();
        for (const r of run.resources.filter((r) => r.parent.includes("IstioMesh"))) {
            assert.equal(run.providerName(r), "k8s", `${r.name} uses the cluster's provider`);
            assert.match(r.name, /^mesh-/);
        }
        assert.equal(run.resources.filter((r) => r.parent.includes("IstioMesh")).length, 6);
    });

    describe("in ambient mode, for the Gateway API", () => {
        let run: Awaited<ReturnType<typeof build>>;
        before(async () => {
            run = await runPulumi(() => {
                const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
                return new IstioMesh(
                    "mesh",
                    {
                        version: "1.30.5",
                        dataplaneMode: "ambient",
                        ingressGateway: false,
                        gatewayApiCrds: "install",
                    },
                    { provider },
                );
            });
        });

        it("installs base, istiod with the ambient profile, cni with the ambient profile, then ztunnel, all at one version", () => {
            assert.deepEqual(
                run.ofType("kubernetes:helm.sh/v3:Release").map((r) => r.name),
                ["mesh-base", "mesh-istiod", "mesh-cni", "mesh-ztunnel"],
            );
            assert.deepEqual(chartInputs(run.named("mesh-istiod").inputs).values, {
                profile: "ambient",
            });
            assert.deepEqual(chartInputs(run.named("mesh-cni").inputs), {
                chart: "cni",
                version: "1.30.5",
                repositoryOpts: { repo: REPO },
                name: "istio-cni",
                namespace: "istio-system",
                values: { profile: "ambient" },
            });
            assert.deepEqual(chartInputs(run.named("mesh-ztunnel").inputs), {
                chart: "ztunnel",
                version: "1.30.5",
                repositoryOpts: { repo: REPO },
                name: "ztunnel",
                namespace: "istio-system",
                values: {},
            });
        });

        it("orders base and the Gateway API CRDs -> istiod -> cni -> ztunnel, and makes workloads wait for all", () => {
            assert.deepEqual(run.dependencyNames(run.named("mesh-istiod")), [
                "mesh-base",
                "mesh-gateway-api-crds",
                "mesh-system",
            ]);
            // The CRDs are the Gateway API's standard channel, a child of the mesh.
            assert.deepEqual(run.named("mesh-gateway-api-crds").inputs, {
                file: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
            });
            assert.deepEqual(run.dependencyNames(run.named("mesh-cni")), [
                "mesh-istiod",
                "mesh-system",
            ]);
            assert.deepEqual(run.dependencyNames(run.named("mesh-ztunnel")), [
                "mesh-cni",
                "mesh-system",
            ]);
            const mesh = run.result;
            assert.deepEqual(
                mesh.ready.map((r) => (r as unknown as { __name: string }).__name),
                ["mesh-base", "mesh-istiod", "mesh-cni", "mesh-ztunnel"],
            );
        });

        it("hands the app the ambient namespace labels, a pod annotation that rolls its pods, and the CNI agent to wait for", () => {
            const mesh = run.result;
            assert.deepEqual(mesh.dataplane.namespaceLabels, {
                "istio.io/dataplane-mode": "ambient",
                "istio.io/use-waypoint": "waypoint",
            });
            assert.equal(mesh.dataplane.podAnnotations["istio-eks/dataplane"], "ambient");
            assert.deepEqual(
                (mesh.dataplane.ready as k8s.helm.v3.Release[]).map(
                    (r) => (r as unknown as { __name: string }).__name,
                ),
                ["mesh-base", "mesh-istiod", "mesh-cni", "mesh-ztunnel"],
            );
        });

        it("refuses a canary control plane in ambient mode", async () => {
            await assert.rejects(
                runPulumi(() => {
                    const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
                    return new IstioMesh(
                        "mesh",
                        { version: "1.30.5", canaryVersion: "1.31.1", dataplaneMode: "ambient" },
                        { provider },
                    );
                }),
                /ambient mode takes no canary control plane or revision/,
            );
        });

        it("installs no gateway chart, namespace or Service read: the app's Gateway is the ingress", () => {
            assert.equal(run.has("mesh-gateway"), false);
            assert.equal(run.has("mesh-ingress"), false);
            assert.equal(run.has("mesh-gateway-service"), false);
            const mesh = run.result;
            assert.equal(mesh.gateway, undefined);
            assert.equal(mesh.ingressHost, undefined);
            assert.equal(mesh.gatewayPodLabels, undefined);
        });
    });

    it("in sidecar mode installs neither cni nor ztunnel", async () => {
        const run = await build();
        assert.equal(run.has("mesh-cni") || run.has("mesh-ztunnel"), false);
        assert.equal(run.result.cni, undefined);
    });
});

describe("IstioMesh upgrades", () => {
    const release = (chart: string, version: string, name: string, values: object) => ({
        chart,
        version,
        repositoryOpts: { repo: REPO },
        name,
        namespace: "istio-system",
        values,
    });
    const releases = (run: Awaited<ReturnType<typeof build>>) =>
        run.ofType("kubernetes:helm.sh/v3:Release").map((r) => r.name);

    it("installs a canary as a second istiod revision, after base at the canary's version, the stable one untouched", async () => {
        const run = await build({ canaryVersion: "1.31.1" });
        assert.deepEqual(releases(run), [
            "mesh-base",
            "mesh-istiod",
            "mesh-istiod-1-31-1",
            "mesh-gateway",
        ]);
        assert.deepEqual(
            chartInputs(run.named("mesh-base").inputs),
            release("base", "1.31.1", "istio-base", { defaultRevision: "default" }),
        );
        assert.deepEqual(
            chartInputs(run.named("mesh-istiod").inputs),
            release("istiod", "1.30.5", "istiod", {}),
        );
        assert.deepEqual(
            chartInputs(run.named("mesh-istiod-1-31-1").inputs),
            release("istiod", "1.31.1", "istiod-1-31-1", { revision: "1-31-1" }),
        );
        assert.deepEqual(run.dependencyNames(run.named("mesh-istiod-1-31-1")), [
            "mesh-base",
            "mesh-system",
        ]);
        // The gateway stays on the stable control plane, exactly as before.
        const installed = await build();
        assert.deepEqual(run.named("mesh-gateway").inputs, installed.named("mesh-gateway").inputs);
        assert.deepEqual(run.dependencyNames(run.named("mesh-gateway")), [
            "mesh-ingress",
            "mesh-istiod",
        ]);
    });

    it("points the revision tags stable and canary at the two control planes, each after its istiod", async () => {
        const run = await build({ canaryVersion: "1.31.1" });
        const webhooks = run.ofType(
            "kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration",
        );
        assert.deepEqual(
            webhooks.map((w) => [
                w.name,
                w.inputs.metadata.name,
                w.inputs.metadata.labels["istio.io/rev"],
                w.inputs.webhooks.map(
                    (h: { clientConfig: { service: { name: string } } }) =>
                        h.clientConfig.service.name,
                ),
                run.dependencyNames(w),
            ]),
            [
                [
                    "mesh-tag-stable",
                    "istio-revision-tag-stable",
                    "default",
                    ["istiod", "istiod"],
                    ["mesh-istiod"],
                ],
                [
                    "mesh-tag-canary",
                    "istio-revision-tag-canary",
                    "1-31-1",
                    ["istiod-1-31-1", "istiod-1-31-1"],
                    ["mesh-istiod-1-31-1"],
                ],
            ],
        );
        const services = run.ofType("kubernetes:core/v1:Service").filter((s) => !s.read);
        assert.deepEqual(
            services.map((s) => [
                s.name,
                s.inputs.metadata.name,
                s.inputs.spec.selector,
                run.dependencyNames(s),
            ]),
            [
                [
                    "mesh-tag-stable-service",
                    "istiod-revision-tag-stable",
                    { app: "istiod", istio: "pilot" },
                    ["mesh-istiod"],
                ],
                [
                    "mesh-tag-canary-service",
                    "istiod-revision-tag-canary",
                    { app: "istiod", "istio.io/rev": "1-31-1" },
                    ["mesh-istiod-1-31-1"],
                ],
            ],
        );
        const mesh = run.result;
        assert.deepEqual(mesh.ready, [mesh.base, mesh.istiod]);
        assert.deepEqual(mesh.dataplane.namespaceLabels, { "istio.io/rev": "stable" });
        assert.deepEqual(mesh.dataplane.ready, [mesh.base, mesh.istiod]);
        const [webhook, service] = mesh.tags.stable!;
        assert.deepEqual(mesh.dataplane.tag, { webhook, service });
    });

    it("with the app on the canary tag: the gateway follows it, after the canary istiod and its tag", async () => {
        const run = await build({ canaryVersion: "1.31.1", dataplaneRevision: "canary" });
        const gateway = run.named("mesh-gateway");
        assert.equal(gateway.inputs.version, "1.31.1");
        assert.equal(gateway.inputs.repositoryOpts.repo, REPO);
        assert.equal(gateway.inputs.values.revision, "canary");
        assert.deepEqual(gateway.inputs.values.podAnnotations, {
            "istio-eks/proxy-version": "1.31.1",
            "istio-eks/control-plane": "1-31-1",
        });
        assert.deepEqual(run.dependencyNames(gateway), [
            "mesh-ingress",
            "mesh-istiod-1-31-1",
            "mesh-tag-canary",
            "mesh-tag-canary-service",
        ]);
        const mesh = run.result;
        assert.deepEqual(mesh.dataplane.namespaceLabels, { "istio.io/rev": "canary" });
        assert.deepEqual(mesh.dataplane.ready, [mesh.base, mesh.canaryIstiod]);
        const [webhook, service] = mesh.tags.canary!;
        assert.deepEqual(mesh.dataplane.tag, { webhook, service });
    });

    it("promoted: one control plane at the canary's revision, validating Istio objects, both tags on it", async () => {
        const run = await build({
            version: "1.31.1",
            revision: "1-31-1",
            dataplaneRevision: "canary",
        });
        assert.deepEqual(releases(run), ["mesh-base", "mesh-istiod-1-31-1", "mesh-gateway"]);
        assert.deepEqual(
            chartInputs(run.named("mesh-base").inputs),
            release("base", "1.31.1", "istio-base", { defaultRevision: "1-31-1" }),
        );
        // The canary's release, unchanged: promotion neither renames nor replaces it.
        const canary = await build({ canaryVersion: "1.31.1", dataplaneRevision: "canary" });
        assert.deepEqual(
            run.named("mesh-istiod-1-31-1").inputs,
            canary.named("mesh-istiod-1-31-1").inputs,
        );
        for (const tag of ["stable", "canary"]) {
            const webhook = run.named(`mesh-tag-${tag}`);
            assert.equal(webhook.inputs.metadata.labels["istio.io/rev"], "1-31-1");
            assert.equal(webhook.inputs.webhooks[0].clientConfig.service.name, "istiod-1-31-1");
            assert.deepEqual(run.dependencyNames(webhook), ["mesh-istiod-1-31-1"]);
        }
        assert.equal(run.result.canaryIstiod, undefined);
        assert.deepEqual(run.result.ready, [run.result.base, run.result.istiod]);
    });

    it("refuses bad versions before registering anything", async () => {
        await assert.rejects(
            build({ canaryVersion: "1.29.0" }),
            /istioCanaryVersion = "1.29.0": expected a version newer than istioVersion "1.30.5"/,
        );
    });
});
