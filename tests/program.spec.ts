import * as assert from "assert/strict";
import * as path from "path";
import { isDeepStrictEqual } from "util";

import * as pulumi from "@pulumi/pulumi";

import { dashboards, tracingMeshConfig } from "../lib/observability";
import { ROUTING_MODE_NAMES } from "../lib/routing";
import { loadProgram, MOCK, Registered, Run, runPulumi, valueOf } from "./harness";

type Outputs = ReturnType<typeof loadProgram>;

/** A stack on a cluster you already have, named as Pulumi.local.yaml names kind's. */
/** The stack output `dashboards`, as the program sets it. */
type Dashboards = Record<string, { portForwardCommand: string; url: string }>;

const EXISTING = { cluster: "existing", "kubernetes:context": "kind-istio-lab" };

function deploy(config: Record<string, string> = {}): Promise<Run<Outputs>> {
    return runPulumi(loadProgram, { "aws:region": "us-west-2", ...config });
}

/** One run per stack settings, shared by the tests that only read it. */
const runs = new Map<string, Promise<Run<Outputs>>>();
function deployed(config: Record<string, string>): Promise<Run<Outputs>> {
    const key = JSON.stringify(config);
    if (!runs.has(key)) {
        runs.set(key, deploy(config));
    }
    return runs.get(key)!;
}

/** Names of the resources whose registration differs between two runs, or exists in one only. */
function changedResources(a: Run<Outputs>, b: Run<Outputs>): string[] {
    const before = byName(a);
    const after = byName(b);
    const names = [...new Set([...before.keys(), ...after.keys()])];
    return names
        .filter((name) => {
            const x = before.get(name);
            const y = after.get(name);
            if (x === undefined || y === undefined) {
                return true;
            }
            // Not assert.deepEqual in a try: a failed assertion renders a diff of both, which
            // costs seconds across the many pairs of modes.
            return !isDeepStrictEqual(
                [y.type, y.parent, y.provider, [...y.dependencies].sort(), y.inputs],
                [x.type, x.parent, x.provider, [...x.dependencies].sort(), x.inputs],
            );
        })
        .sort();
}

/** Every resource by logical name (names are unique in this program). */
function byName(run: Run<Outputs>): Map<string, Registered> {
    const map = new Map<string, Registered>();
    for (const r of run.resources) {
        assert.ok(!map.has(r.name), `duplicate logical name ${r.name}`);
        map.set(r.name, r);
    }
    return map;
}

describe("the program", () => {
    for (const mode of ROUTING_MODE_NAMES) {
        describe(`with routing ${mode}`, () => {
            let run: Run<Outputs>;
            before(async () => {
                run = await deployed({ routing: mode });
            });

            it("composes the five components at the top of the stack", () => {
                assert.deepEqual(
                    run.resources
                        .filter((r) => r.type.startsWith("istio-eks:index:"))
                        .map((r) => [r.type, r.name, r.parent]),
                    [
                        ["istio-eks:index:EksCluster", "dev", ""],
                        ["istio-eks:index:IstioMesh", "istio", ""],
                        ["istio-eks:index:BookinfoApp", "bookinfo", ""],
                        ["istio-eks:index:ReviewsRouting", "routing", ""],
                        ["istio-eks:index:MeshObservability", "observability", ""],
                    ],
                );
            });

            it("manages every Kubernetes object through the cluster's provider, which waits for the nodes", () => {
                const kube = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
                // 3 namespaces, 3 releases, the gateway Service read, 14 Bookinfo objects, 3 or 4
                // VirtualServices for the services,
                // the Gateway and its VirtualService, 4 DestinationRules, the PeerAuthentication,
                // 4 add-on releases and the Telemetry.
                assert.equal(kube.length, mode === "round-robin" ? 36 : 37);
                for (const r of kube) {
                    assert.equal(run.providerName(r), "dev-k8s", `${r.type} ${r.name}`);
                }
                assert.deepEqual(run.dependencyNames(run.named("dev-k8s")), [
                    "dev-eks",
                    "dev-nodes",
                ]);
            });

            it("installs Istio before the app's namespace and routing objects exist", () => {
                const all = byName(run);
                assert.deepEqual(run.dependencyNames(all.get("bookinfo-ns")!), [
                    "istio-base",
                    "istio-istiod",
                ]);
                const istio = run.resources.filter((r) =>
                    r.type.startsWith("kubernetes:networking.istio.io/"),
                );
                for (const r of istio) {
                    const deps = run.dependencyNames(r);
                    assert.ok(
                        deps.includes("istio-base") && deps.includes("istio-istiod"),
                        `${r.name} waits for Istio's CRDs and istiod: ${deps}`,
                    );
                    assert.equal(r.inputs.metadata.namespace, "bookinfo");
                }
                for (const d of run.ofType("kubernetes:apps/v1:Deployment")) {
                    assert.deepEqual(run.dependencyNames(d), ["bookinfo-ns"]);
                }
            });

            it("registers the routing objects the mode calls for", () => {
                const vsNames = run
                    .ofType("kubernetes:networking.istio.io/v1:VirtualService")
                    .map((r) => r.inputs.metadata.name)
                    .sort();
                const expected = ["bookinfo", "details", "productpage", "ratings"];
                if (mode !== "round-robin") {
                    expected.push("reviews");
                }
                assert.deepEqual(vsNames, expected.sort());
                assert.deepEqual(
                    run
                        .ofType("kubernetes:networking.istio.io/v1:DestinationRule")
                        .map((r) => r.inputs.metadata.name)
                        .sort(),
                    ["details", "productpage", "ratings", "reviews"],
                );
            });

            it("exports the cluster, its secret kubeconfig, the ingress and the product page URL", async () => {
                const out = run.result;
                assert.deepEqual(Object.keys(out).sort(), [
                    "clusterName",
                    "dashboards",
                    "dataplane",
                    "ingressHost",
                    "ingressPort",
                    "kubeconfig",
                    "kubectlArgs",
                    "portForwardCommand",
                    "productPageUrl",
                    "reviewsExpectation",
                    "routingMode",
                ]);
                assert.equal(out.portForwardCommand, undefined);
                assert.equal(await valueOf(out.clusterName), MOCK.clusterName);
                assert.equal(await valueOf(out.kubeconfig), MOCK.kubeconfigJson);
                assert.equal(await pulumi.isSecret(out.kubeconfig), true);
                assert.equal(await valueOf(out.ingressHost), MOCK.ingressHostname);
                assert.equal(await valueOf(out.ingressPort), 80);
                assert.equal(
                    await valueOf(out.productPageUrl),
                    `http://${MOCK.ingressHostname}:80/productpage`,
                );
                assert.equal(await valueOf(out.routingMode), mode);
                assert.equal(out.dataplane, "sidecar");
                // kubectl pinned to this cluster: the kubeconfig.json the README's kubectl section writes.
                assert.deepEqual(out.kubectlArgs, ["--kubeconfig", "kubeconfig.json"]);
                assert.equal(
                    (out.dashboards as unknown as Dashboards).prometheus.portForwardCommand,
                    "kubectl port-forward -n istio-system svc/prometheus 9090:9090 --kubeconfig kubeconfig.json",
                );
                assert.deepEqual(
                    out.dashboards,
                    Object.fromEntries(
                        Object.entries(dashboards()).map(([ui, d]) => [
                            ui,
                            {
                                ...d,
                                portForwardCommand: `${d.portForwardCommand} --kubeconfig kubeconfig.json`,
                            },
                        ]),
                    ),
                );
            });

            it("installs the add-ons after istiod, whose mesh config traces to Jaeger", () => {
                assert.deepEqual(run.named("istio-istiod").inputs.values, {
                    meshConfig: tracingMeshConfig(),
                });
                const addons = run.resources.filter((r) => r.name.startsWith("observability-"));
                assert.deepEqual(addons.map((r) => r.name).sort(), [
                    "observability-grafana",
                    "observability-jaeger",
                    "observability-kiali",
                    "observability-prometheus",
                    "observability-telemetry",
                ]);
                for (const r of addons) {
                    const deps = run.dependencyNames(r);
                    assert.ok(
                        deps.includes("istio-base") && deps.includes("istio-istiod"),
                        `${r.name} waits for Istio's CRDs and istiod: ${deps}`,
                    );
                }
                assert.equal(
                    run.named("observability-telemetry").inputs.spec.tracing[0]
                        .randomSamplingPercentage,
                    100,
                );
            });
        });
    }

    describe("on an existing cluster", () => {
        for (const mode of ROUTING_MODE_NAMES) {
            it(`routing ${mode}: no AWS resource, everything through the configured provider`, async () => {
                const run = await deployed({ ...EXISTING, routing: mode });
                assert.deepEqual(
                    run.resources.filter((r) =>
                        /^(aws|eks|pulumi:providers:(aws|eks))/.test(r.type),
                    ),
                    [],
                );
                assert.equal(run.has("dev"), false, "no EksCluster component");
                const provider = run.named("existing-cluster");
                assert.equal(provider.type, "pulumi:providers:kubernetes");
                const kube = run.resources.filter((r) => r.type.startsWith("kubernetes:"));
                assert.equal(kube.length, mode === "round-robin" ? 36 : 37);
                for (const r of kube) {
                    assert.equal(run.providerName(r), "existing-cluster", `${r.type} ${r.name}`);
                }
                // The mesh, app and routing are exactly those of an EKS stack, but for the AWS
                // load balancer annotation.
                const onEks = byName(await deployed({ routing: mode }));
                for (const r of kube) {
                    const expected = structuredClone(onEks.get(r.name)!.inputs);
                    if (r.name === "istio-gateway") {
                        expected.values.service.annotations = {};
                    }
                    assert.deepEqual(r.inputs, expected, r.name);
                }
                assert.equal(await valueOf(run.result.routingMode), mode);
            });
        }

        it("acts on the cluster that kubernetes:context or kubernetes:kubeconfig names", async () => {
            const plain = await deployed({ ...EXISTING, routing: "round-robin" });
            assert.deepEqual(plain.named("existing-cluster").inputs, { context: "kind-istio-lab" });
            const run = await deploy({
                cluster: "existing",
                "kubernetes:context": "kind-istio",
                "kubernetes:kubeconfig": "/home/me/.kube/lab",
            });
            assert.deepEqual(run.named("existing-cluster").inputs, {
                context: "kind-istio",
                kubeconfig: "/home/me/.kube/lab",
            });
            const byFile = await deploy({
                cluster: "existing",
                "kubernetes:kubeconfig": "/home/me/.kube/lab",
            });
            assert.deepEqual(byFile.named("existing-cluster").inputs, {
                kubeconfig: "/home/me/.kube/lab",
            });
        });

        it("refuses to run on whichever cluster is current: without either setting, before any resource", async () => {
            await assert.rejects(
                deploy({ cluster: "existing" }),
                (err: Error) =>
                    err.name === "ConfigError" &&
                    err.message.includes(
                        'cluster = "existing" names no cluster: set kubernetes:context',
                    ),
            );
        });

        it("exports the product page and routing, but no cluster name or kubeconfig", async () => {
            const run = await deployed({ ...EXISTING, routing: "round-robin" });
            const out = run.result;
            assert.equal(out.clusterName, undefined);
            assert.equal(out.kubeconfig, undefined);
            assert.equal(
                await valueOf(out.productPageUrl),
                `http://${MOCK.ingressHostname}:80/productpage`,
            );
            assert.equal(await valueOf(out.routingMode), "round-robin");
        });

        it("with a NodePort gateway: the product page through kubectl port-forward", async () => {
            const run = await deploy({ ...EXISTING, gatewayServiceType: "NodePort" });
            assert.equal(run.named("istio-gateway").inputs.values.service.type, "NodePort");
            assert.equal(run.has("istio-gateway-service"), false);
            const out = run.result;
            // Pinned to the stack's kubernetes:context, whatever kubectl's current one.
            assert.equal(
                out.portForwardCommand,
                "kubectl port-forward -n istio-ingress svc/istio-ingressgateway 8080:80 --context kind-istio-lab",
            );
            assert.deepEqual(out.kubectlArgs, ["--context", "kind-istio-lab"]);
            assert.equal(
                (out.dashboards as unknown as Dashboards).kiali.portForwardCommand,
                "kubectl port-forward -n istio-system svc/kiali 20001:20001 --context kind-istio-lab",
            );
            assert.equal(await valueOf(out.productPageUrl), "http://localhost:8080/productpage");
        });

        it("pins the printed kubectl commands to a kubernetes:kubeconfig file, not to its contents", async () => {
            const file = await deploy({
                cluster: "existing",
                "kubernetes:kubeconfig": "~/.kube/istio lab.yaml",
                gatewayServiceType: "NodePort",
            });
            assert.equal(
                file.result.portForwardCommand,
                "kubectl port-forward -n istio-ingress svc/istio-ingressgateway 8080:80 --kubeconfig ~/'.kube/istio lab.yaml'",
            );
            assert.deepEqual(file.result.kubectlArgs, ["--kubeconfig", "~/.kube/istio lab.yaml"]);
            // kubectl reads kubeconfigs from files only: with contents, kubectl's own context.
            const contents = await deploy({
                cluster: "existing",
                "kubernetes:kubeconfig": "apiVersion: v1\nkind: Config\n",
                gatewayServiceType: "NodePort",
            });
            assert.equal(
                contents.result.portForwardCommand,
                "kubectl port-forward -n istio-ingress svc/istio-ingressgateway 8080:80",
            );
            assert.equal(contents.result.kubectlArgs, undefined);
        });

        it("never loads the AWS packages", async () => {
            const aws = (key: string) =>
                /node_modules[\\/]@pulumi[\\/](aws|eks)[\\/]/.test(key) ||
                key.endsWith(`components${path.sep}eksCluster.ts`);
            // Set the loaded copies aside, run, check nothing loaded them again, put them back.
            const saved = Object.entries(require.cache).filter(([key]) => aws(key));
            assert.ok(saved.length > 0, "the AWS packages were loaded by earlier tests");
            for (const [key] of saved) {
                delete require.cache[key];
            }
            try {
                await deploy(EXISTING);
                assert.deepEqual(Object.keys(require.cache).filter(aws), []);
            } finally {
                Object.assign(require.cache, Object.fromEntries(saved));
            }
        });
    });

    it("passes the stack settings down to the components", async () => {
        const run = await deploy({
            kubernetesVersion: "1.34",
            nodeInstanceType: "m6i.xlarge",
            nodeDesiredCount: "3",
            nodeMinCount: "1",
            nodeMaxCount: "5",
            istioVersion: "1.30.4",
            appNamespace: "shop",
            loadBalancerType: "clb",
            tracingSampling: "25",
        });
        assert.equal(run.named("dev-eks").inputs.version, "1.34");
        assert.deepEqual(run.named("dev-nodes").inputs.instanceTypes, ["m6i.xlarge"]);
        assert.deepEqual(run.named("dev-nodes").inputs.scalingConfig, {
            desiredSize: 3,
            minSize: 1,
            maxSize: 5,
        });
        for (const r of run.ofType("kubernetes:helm.sh/v3:Release")) {
            if (r.name.startsWith("istio-")) {
                assert.equal(r.inputs.version, "1.30.4");
            }
        }
        assert.deepEqual(run.named("istio-gateway").inputs.values.service.annotations, {});
        assert.equal(run.named("bookinfo-ns").inputs.metadata.name, "shop");
        assert.equal(
            run.named("observability-telemetry").inputs.spec.tracing[0].randomSamplingPercentage,
            25,
        );
        assert.match(
            run.named("observability-grafana").inputs.values.dashboards.istio["istio-mesh"].url,
            /\/istio\/istio\/1\.30\.4\//,
        );
        assert.deepEqual(run.named("dev-eks").inputs.tags, {
            "istio-eks:stack": "dev",
            "istio-eks:project": "istio-eks",
        });
    });

    it("stops before any cloud resource when EKS would refuse the existing VPC's subnets", async () => {
        // The harness's lookups put subnets ending in a and c in the same zone.
        const run = await runPulumi(loadProgram, {
            "aws:region": "us-west-2",
            vpcId: MOCK.vpcId,
            privateSubnetIds: "subnet-0000000a,subnet-0000000c",
        });
        assert.deepEqual(run.errors, [
            "EksCluster dev: EKS would refuse the subnets of vpc-0123456789abcdef0; nothing was created:\n" +
                "  - the subnets subnet-0000000a (us-west-2a), subnet-0000000c (us-west-2a) are all in one availability zone: EKS needs subnets in at least two",
        ]);
        assert.deepEqual(
            run.resources.filter((r) => r.custom).map((r) => r.name),
            [],
        );
    });

    it("hands aws:profile to the EKS cluster's kubeconfig", async () => {
        const run = await deploy({ "aws:profile": "lab-admin" });
        assert.deepEqual(run.named("dev-eks").inputs.providerCredentialOpts, {
            profileName: "lab-admin",
        });
    });

    it("switching all-v1 -> jason-v2 changes the reviews VirtualService and nothing else", async () => {
        const before = await deployed({ routing: "all-v1" });
        const after = await deployed({ routing: "jason-v2" });
        assert.deepEqual(changedResources(before, after), ["routing-vs-reviews"]);
        assert.equal(byName(after).get("routing-vs-reviews")!.inputs.metadata.name, "reviews");
    });

    it("switching round-robin -> all-v1 only adds the reviews VirtualService", async () => {
        const before = byName(await deployed({ routing: "round-robin" }));
        const after = byName(await deployed({ routing: "all-v1" }));
        assert.deepEqual(
            [...after.keys()].filter((n) => !before.has(n)),
            ["routing-vs-reviews"],
        );
        assert.deepEqual(
            [...before.keys()].filter((n) => !after.has(n)),
            [],
        );
    });

    it("switching between any two modes changes routing objects only", async () => {
        for (const a of ROUTING_MODE_NAMES) {
            for (const b of ROUTING_MODE_NAMES) {
                if (a < b) {
                    const changed = changedResources(
                        await deployed({ routing: a }),
                        await deployed({ routing: b }),
                    );
                    assert.deepEqual(changed, ["routing-vs-reviews"], `${a} -> ${b}`);
                }
            }
        }
    });

    const options: [Record<string, string>, string[]][] = [
        [{ ratingsFault: "delay" }, ["routing-vs-ratings"]],
        [{ ratingsFault: "abort", ratingsAbortStatus: "503" }, ["routing-vs-ratings"]],
        [{ reviewsTimeout: "0.5s" }, ["routing-vs-reviews"]],
        [{ loadBalancerType: "clb" }, ["istio-gateway"]],
        [
            // Only the add-ons, the Telemetry and istiod's tracing: the app and routing stay.
            { observability: "false" },
            [
                "istio-istiod",
                "observability",
                "observability-grafana",
                "observability-jaeger",
                "observability-kiali",
                "observability-prometheus",
                "observability-telemetry",
            ],
        ],
        [{ tracingSampling: "10" }, ["observability-telemetry"]],
        [
            { mtls: "strict" },
            [
                "routing-dr-details",
                "routing-dr-productpage",
                "routing-dr-ratings",
                "routing-dr-reviews",
                "routing-peer-authentication",
            ],
        ],
    ];
    for (const [setting, expected] of options) {
        it(`setting ${JSON.stringify(setting)} changes ${expected.join(", ")} only`, async () => {
            const before = await deployed({ routing: "jason-v2" });
            const after = await deploy({ routing: "jason-v2", ...setting });
            assert.deepEqual(changedResources(before, after), expected);
            if (setting.observability === "false") {
                // None of it, and istiod's values as they were before observability existed.
                assert.deepEqual(
                    after.resources.filter((r) => /observability/i.test(r.name + r.type)),
                    [],
                );
                assert.deepEqual(byName(after).get("istio-istiod")!.inputs.values, {});
                assert.equal(after.result.dashboards, undefined);
            }
        });
    }

    it("exports what each reader should see, for npm run verify", async () => {
        const run = await deploy({ routing: "canary", canaryWeight: "20" });
        assert.deepEqual(await valueOf(run.result.reviewsExpectation), {
            anonymous: { v1: 0.8, v2: 0, v3: 0.2, error: 0 },
            jason: { v1: 0.8, v2: 0, v3: 0.2, error: 0 },
        });
    });

    // The Gateway API, with sidecars and in ambient mode: every routing mode, on a new EKS cluster.
    const MODELS: { name: string; config: Record<string, string> }[] = [
        { name: "gateway-api + sidecar", config: { trafficApi: "gateway-api" } },
        {
            name: "gateway-api + ambient",
            config: { trafficApi: "gateway-api", dataplane: "ambient" },
        },
    ];
    const GATEWAY_API = "kubernetes:gateway.networking.k8s.io/v1:";
    for (const model of MODELS) {
        const ambient = model.config.dataplane === "ambient";
        describe(`with ${model.name}`, () => {
            for (const mode of ROUTING_MODE_NAMES) {
                describe(`routing ${mode}`, () => {
                    let run: Run<Outputs>;
                    before(async () => {
                        run = await deployed({ ...model.config, routing: mode });
                    });

                    it("composes the CRDs, mesh, app and Gateway API routing, everything through the cluster's provider", () => {
                        assert.deepEqual(
                            run.resources
                                .filter((r) => r.type.startsWith("istio-eks:index:"))
                                .map((r) => [r.type, r.name])
                                .sort(),
                            [
                                ["istio-eks:index:BookinfoApp", "bookinfo"],
                                ["istio-eks:index:EksCluster", "dev"],
                                // The mesh's child, registered once the mesh has its URN.
                                ["istio-eks:index:GatewayApiCrds", "istio-gateway-api"],
                                ["istio-eks:index:GatewayApiRouting", "routing"],
                                ["istio-eks:index:IstioMesh", "istio"],
                                ["istio-eks:index:MeshObservability", "observability"],
                            ],
                        );
                        for (const r of run.resources.filter((r) =>
                            r.type.startsWith("kubernetes:"),
                        )) {
                            assert.equal(run.providerName(r), "dev-k8s", `${r.type} ${r.name}`);
                        }
                    });

                    it("registers exactly the objects of the model: no gateway chart, no Istio routing objects", () => {
                        assert.deepEqual(
                            run
                                .ofType("kubernetes:helm.sh/v3:Release")
                                .map((r) => r.name)
                                .filter((n) => n.startsWith("istio-")),
                            ambient
                                ? ["istio-base", "istio-istiod", "istio-cni", "istio-ztunnel"]
                                : ["istio-base", "istio-istiod"],
                        );
                        assert.deepEqual(
                            run.resources
                                .filter((r) => r.type.startsWith(GATEWAY_API))
                                .map((r) => [
                                    r.type.slice(GATEWAY_API.length),
                                    r.inputs.metadata.name,
                                ])
                                .sort(),
                            [
                                ["Gateway", "bookinfo-gateway"],
                                ...(ambient ? [["Gateway", "waypoint"]] : []),
                                ["HTTPRoute", "bookinfo"],
                                ["HTTPRoute", "details"],
                                ["HTTPRoute", "productpage"],
                                ["HTTPRoute", "ratings"],
                                ...(mode === "round-robin" ? [] : [["HTTPRoute", "reviews"]]),
                            ].sort(),
                        );
                        assert.deepEqual(
                            run.resources.filter((r) =>
                                /VirtualService|DestinationRule|networking.istio.io\/v1:Gateway/.test(
                                    r.type,
                                ),
                            ),
                            [],
                        );
                        assert.deepEqual(
                            run
                                .ofType("kubernetes:core/v1:Service")
                                .filter((s) => !s.read)
                                .map((s) => s.inputs.metadata.name)
                                .filter((n) => /-v\d$/.test(n)),
                            [
                                "details-v1",
                                "ratings-v1",
                                "reviews-v1",
                                "reviews-v2",
                                "reviews-v3",
                                "productpage-v1",
                            ],
                        );
                        assert.equal(run.has("istio-gateway") || run.has("istio-ingress"), false);
                    });

                    it("installs the Gateway API CRDs before istiod and before any Gateway API object", () => {
                        assert.deepEqual(run.named("istio-gateway-api-crds").inputs, {
                            file: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
                        });
                        assert.ok(
                            run
                                .dependencyNames(run.named("istio-istiod"))
                                .includes("istio-gateway-api-crds"),
                        );
                        for (const r of run.resources.filter((r) =>
                            r.type.startsWith(GATEWAY_API),
                        )) {
                            // After istiod, which comes after the CRDs.
                            const deps = run.dependencyNames(r);
                            assert.ok(
                                deps.includes("istio-istiod"),
                                `${r.name} waits for istiod and so the CRDs: ${deps}`,
                            );
                            assert.equal(r.inputs.metadata.namespace, "bookinfo");
                        }
                    });

                    if (ambient) {
                        it("joins the ambient mesh after the CNI agent and ztunnel, and routes through the waypoint", () => {
                            const ns = run.named("bookinfo-ns");
                            assert.deepEqual(ns.inputs.metadata.labels, {
                                "istio.io/dataplane-mode": "ambient",
                                "istio.io/use-waypoint": "waypoint",
                            });
                            assert.deepEqual(run.dependencyNames(ns), [
                                "istio-base",
                                "istio-cni",
                                "istio-istiod",
                                "istio-ztunnel",
                            ]);
                            assert.deepEqual(run.dependencyNames(run.named("istio-ztunnel")), [
                                "istio-cni",
                                "istio-system",
                            ]);
                            for (const d of run.ofType("kubernetes:apps/v1:Deployment")) {
                                assert.deepEqual(run.dependencyNames(d), ["bookinfo-ns"]);
                            }
                            // Without the waypoint, ambient ignores L7 routes: it is there, and
                            // every route of the mode waits for it.
                            const waypoint = run.named("bookinfo-waypoint");
                            assert.equal(waypoint.inputs.spec.gatewayClassName, "istio-waypoint");
                            assert.equal(waypoint.inputs.metadata.name, "waypoint");
                            const routes = run
                                .ofType(`${GATEWAY_API}HTTPRoute`)
                                .filter((r) => r.name.startsWith("routing-"));
                            assert.ok(routes.length >= 3);
                            for (const r of [
                                ...routes,
                                ...run.ofType("kubernetes:networking.istio.io/v1:VirtualService"),
                            ]) {
                                assert.ok(
                                    run.dependencyNames(r).includes("bookinfo-waypoint"),
                                    r.name,
                                );
                            }
                        });
                    } else {
                        it("labels the app's namespace for sidecar injection; no waypoint", () => {
                            assert.deepEqual(run.named("bookinfo-ns").inputs.metadata.labels, {
                                "istio-injection": "enabled",
                            });
                            assert.equal(run.has("bookinfo-waypoint"), false);
                        });
                    }

                    it("exports the product page at the Gateway's address, and the same expectation as Istio's model", async () => {
                        const out = run.result;
                        assert.equal(
                            await valueOf(out.productPageUrl),
                            `http://${MOCK.ingressHostname}:80/productpage`,
                        );
                        assert.equal(await valueOf(out.ingressHost), MOCK.ingressHostname);
                        assert.equal(out.portForwardCommand, undefined);
                        assert.equal(await valueOf(out.routingMode), mode);
                        const istio = await deployed({ routing: mode });
                        assert.deepEqual(
                            await valueOf(out.reviewsExpectation),
                            await valueOf(istio.result.reviewsExpectation),
                        );
                    });
                });
            }

            it("switching between any two modes changes the reviews HTTPRoute only", async () => {
                for (const a of ROUTING_MODE_NAMES) {
                    for (const b of ROUTING_MODE_NAMES) {
                        if (a < b) {
                            const changed = changedResources(
                                await deployed({ ...model.config, routing: a }),
                                await deployed({ ...model.config, routing: b }),
                            );
                            assert.deepEqual(changed, ["routing-route-reviews"], `${a} -> ${b}`);
                        }
                    }
                }
            }).timeout(60_000); // 21 pairs of whole runs, on a busy machine too
        });
    }

    const gatewayApiOptions: [Record<string, string>, string[]][] = [
        // The Gateway API has no fault injection: ratings' HTTPRoute gives way to a VirtualService.
        [{ ratingsFault: "delay" }, ["routing-route-ratings", "routing-vs-ratings"]],
        [{ reviewsTimeout: "0.5s" }, ["routing-route-reviews"]],
        [{ mtls: "strict" }, ["routing-peer-authentication"]],
    ];
    for (const [setting, expected] of gatewayApiOptions) {
        it(`with gateway-api + ambient, setting ${JSON.stringify(setting)} changes ${expected.join(", ")} only`, async () => {
            const config = MODELS[1].config;
            const before = await deployed({ ...config, routing: "jason-v2" });
            const after = await deploy({ ...config, routing: "jason-v2", ...setting });
            assert.deepEqual(changedResources(before, after), expected);
        });
    }

    it("on an existing cluster (kind), ambient mode with a NodePort Gateway: the port-forward to Istio's gateway Service", async () => {
        const run = await deploy({
            ...EXISTING,
            gatewayServiceType: "NodePort",
            trafficApi: "gateway-api",
            dataplane: "ambient",
        });
        assert.equal(run.has("dev"), false);
        assert.ok(run.has("bookinfo-waypoint") && run.has("istio-ztunnel"));
        assert.equal(
            run.named("bookinfo-ingress-gateway").inputs.metadata.annotations[
                "networking.istio.io/service-type"
            ],
            "NodePort",
        );
        assert.equal(run.named("bookinfo-ingress-gateway").inputs.spec.infrastructure, undefined);
        const out = run.result;
        assert.equal(
            out.portForwardCommand,
            "kubectl port-forward -n bookinfo svc/bookinfo-gateway-istio 8080:80 --context kind-istio-lab",
        );
        assert.equal(await valueOf(out.productPageUrl), "http://localhost:8080/productpage");
        assert.equal(out.dataplane, "ambient");
    });

    it("switching the traffic API replaces the ingress and the routing objects, not the app", async () => {
        const before = byName(await deployed({ routing: "jason-v2" }));
        const after = byName(await deployed({ trafficApi: "gateway-api", routing: "jason-v2" }));
        const gone = [...before.keys()].filter((n) => !after.has(n)).sort();
        const added = [...after.keys()].filter((n) => !before.has(n)).sort();
        // Istio's ingress chart and Service, its Gateway and VirtualServices, the DestinationRules.
        assert.deepEqual(gone, [
            "bookinfo-gateway",
            "bookinfo-vs-bookinfo",
            "istio-gateway",
            "istio-gateway-service",
            "istio-ingress",
            "routing-dr-details",
            "routing-dr-productpage",
            "routing-dr-ratings",
            "routing-dr-reviews",
            "routing-vs-details",
            "routing-vs-productpage",
            "routing-vs-ratings",
            "routing-vs-reviews",
        ]);
        // The CRDs, the app's Gateway and its route, the per-version Services and HTTPRoutes.
        assert.deepEqual(added, [
            "bookinfo-ingress-gateway",
            "bookinfo-route-bookinfo",
            "istio-gateway-api",
            "istio-gateway-api-crds",
            "routing-route-details",
            "routing-route-productpage",
            "routing-route-ratings",
            "routing-route-reviews",
            ...["details-v1", "productpage-v1", "ratings-v1"].map((s) => `routing-svc-${s}`),
            ...["v1", "v2", "v3"].map((v) => `routing-svc-reviews-${v}`),
        ]);
        // The app's workloads keep their inputs: nothing restarts them.
        for (const d of [...after.values()].filter(
            (r) => r.type === "kubernetes:apps/v1:Deployment",
        )) {
            assert.deepEqual(d.inputs, before.get(d.name)!.inputs, d.name);
        }
    });

    describe("with invalid settings", () => {
        const cases: [string, string, RegExp][] = [
            [
                "routing",
                "jason-v3",
                /routing = "jason-v3": expected one of round-robin \| all-v1 \| jason-v2 \| v3-50/,
            ],
            ["canaryWeight", "150", /canaryWeight = "150": expected a whole number from 0 to 100/],
            [
                "ratingsFault",
                "slow",
                /ratingsFault = "slow": expected one of none \| delay \| abort/,
            ],
            ["ratingsDelay", "7", /ratingsDelay = "7": expected an Istio duration/],
            [
                "ratingsAbortStatus",
                "200",
                /ratingsAbortStatus = "200": expected a whole number from 400 to 599/,
            ],
            ["reviewsTimeout", "soon", /reviewsTimeout = "soon": expected an Istio duration/],
            ["mtls", "off", /mtls = "off": expected one of permissive \| strict/],
            ["observability", "no", /observability = "no": expected true or false/],
            [
                "tracingSampling",
                "150",
                /tracingSampling = "150": expected a whole number from 0 to 100/,
            ],
            ["cluster", "kind", /cluster = "kind": expected one of eks \| existing/],
            [
                "gatewayServiceType",
                "Ingress",
                /gatewayServiceType = "Ingress": expected one of LoadBalancer \| NodePort/,
            ],
            ["kubernetesVersion", "1.35.0", /kubernetesVersion = "1.35.0": expected MAJOR.MINOR/],
            [
                "nodeInstanceType",
                "large",
                /nodeInstanceType = "large": expected an EC2 instance type/,
            ],
            [
                "nodeDesiredCount",
                "0",
                /nodeDesiredCount = "0": expected a whole number from 1 to 50/,
            ],
            ["nodeMinCount", "-1", /nodeMinCount = "-1": expected a whole number from 1 to 50/],
            ["nodeMaxCount", "500", /nodeMaxCount = "500": expected a whole number from 1 to 50/],
            [
                "sshPublicKey",
                "ssh-rsa AAAA",
                /sshPublicKey = "ssh-rsa AAAA": expected one OpenSSH public key/,
            ],
            ["vpcId", "vpc-xyz", /vpcId = "vpc-xyz": expected a VPC ID/],
            [
                "privateSubnetIds",
                '["subnet-1"]',
                /privateSubnetIds = "subnet-1": expected subnet IDs/,
            ],
            [
                "publicSubnetIds",
                "subnet-0000000a",
                /publicSubnetIds\/privateSubnetIds are set but vpcId is not/,
            ],
            [
                "adminPrincipalArns",
                '["root"]',
                /adminPrincipalArns = "root": expected IAM role or user ARNs/,
            ],
            ["istioVersion", "latest", /istioVersion = "latest": expected a chart version/],
            [
                "appNamespace",
                "Book_Info",
                /appNamespace = "Book_Info": expected a Kubernetes namespace name/,
            ],
            ["loadBalancerType", "alb", /loadBalancerType = "alb": expected one of nlb \| clb/],
            [
                "dataplane",
                "ambient",
                /trafficApi = "istio", dataplane = "ambient": not a combination Istio supports: Istio's ambient mode routes L7 traffic in waypoints/,
            ],
            [
                "trafficApi",
                "gateway",
                /trafficApi = "gateway": expected one of istio \| gateway-api/,
            ],
            [
                "routng",
                "all-v1",
                /routng is not a setting of this program; known settings: routing, /,
            ],
        ];
        for (const [key, value, message] of cases) {
            it(`${key} = ${JSON.stringify(value)}: stops with a clear error before any resource`, async () => {
                let seen: Run<Outputs> | undefined;
                await assert.rejects(
                    (async () => {
                        seen = await deploy({ [key]: value });
                    })(),
                    // The program loads its own copy of lib/config, so compare by name, not class.
                    (err: Error) => err.name === "ConfigError" && message.test(err.message),
                );
                assert.equal(seen, undefined);
            });
        }

        it("registers nothing at all when a setting is bad", async () => {
            const { getMonitor } = await import("@pulumi/pulumi/runtime/settings");
            await assert.rejects(deploy({ nodeMinCount: "3", nodeDesiredCount: "2" }), {
                name: "ConfigError",
            });
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            const registered = (getMonitor() as any).getRegisteredResources() as Map<
                string,
                unknown
            >;
            assert.equal(registered.size, 0);
        });
    });
});
