import * as assert from "assert/strict";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    BookinfoApp,
    BookinfoAppArgs,
    DataplaneInjection,
    withPodAnnotations,
} from "../components/bookinfoApp";
import { BookinfoModel } from "../lib/manifests";
import { Dataplane, namespaceLabels } from "../lib/trafficModel";
import { MOCK, runPulumi, valueOf } from "./harness";

/** A stand-in for IstioMesh: its two "ready" releases and the gateway's facts. */
function build(
    namespace?: string,
    dataplane?: (provider: k8s.Provider) => DataplaneInjection,
    manifest?: string,
) {
    return runPulumi(() => {
        const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
        const base = new k8s.helm.v3.Release("crds", { chart: "base" }, { provider });
        const istiod = new k8s.helm.v3.Release("istiod", { chart: "istiod" }, { provider });
        return new BookinfoApp(
            "app",
            {
                namespace,
                manifest,
                mesh: {
                    ready: [base, istiod],
                    dataplane: dataplane?.(provider),
                    gatewayPodLabels: { app: "istio-ingressgateway", istio: "ingressgateway" },
                    gatewayHttpTargetPort: 80,
                    ingressHost: pulumi.output("lb.example.com"),
                    ingressPort: 80,
                },
            },
            { provider },
        );
    });
}

describe("BookinfoApp", () => {
    it("creates its namespace labelled for sidecar injection, only after istiod is ready", async () => {
        const run = await build();
        const ns = run.named("app-ns");
        assert.deepEqual(ns.inputs, {
            apiVersion: "v1",
            kind: "Namespace",
            metadata: { name: "bookinfo", labels: { "istio-injection": "enabled" } },
        });
        assert.deepEqual(run.dependencyNames(ns), ["crds", "istiod"]);
    });

    it("takes the namespace name from its arguments", async () => {
        const run = await build("shop");
        assert.equal(run.named("app-ns").inputs.metadata.name, "shop");
        const namespaced = run.resources.filter(
            (r) => r.parent.includes("BookinfoApp") && r.name !== "app-ns",
        );
        // Every manifest object, the Gateway and the VirtualService.
        assert.equal(namespaced.length, BookinfoModel.load().objects.length + 2);
        for (const r of namespaced) {
            assert.equal(r.inputs.metadata.namespace, "shop", r.name);
        }
    });

    it("creates every object of the Bookinfo manifest, as written, in its namespace, after the namespace", async () => {
        const run = await build();
        const model = BookinfoModel.load();
        const objects = run.resources.filter((r) =>
            [
                "kubernetes:core/v1:Service",
                "kubernetes:core/v1:ServiceAccount",
                "kubernetes:apps/v1:Deployment",
            ].includes(r.type),
        );
        assert.equal(objects.length, model.objects.length);
        for (const obj of model.objects) {
            const name = `app-${obj.kind.toLowerCase()}-${obj.metadata.name}`;
            const r = run.named(name);
            assert.deepEqual(
                r.inputs,
                { ...obj, metadata: { ...obj.metadata, namespace: "bookinfo" } },
                name,
            );
            assert.deepEqual(run.dependencyNames(r), ["app-ns"], `${name} waits for the namespace`);
            assert.equal(run.providerName(r), "k8s");
        }
        assert.deepEqual(
            run
                .ofType("kubernetes:apps/v1:Deployment")
                .map((d) => d.inputs.metadata.name)
                .sort(),
            [
                "details-v1",
                "productpage-v1",
                "ratings-v1",
                "reviews-v1",
                "reviews-v2",
                "reviews-v3",
            ],
        );
    });

    it("exposes the product page through a Gateway on the gateway pods' port and a VirtualService", async () => {
        const run = await build();
        const gateway = run.named("app-gateway");
        assert.equal(gateway.type, "kubernetes:networking.istio.io/v1:Gateway");
        assert.deepEqual(gateway.inputs, {
            apiVersion: "networking.istio.io/v1",
            kind: "Gateway",
            metadata: { name: "bookinfo-gateway", namespace: "bookinfo" },
            spec: {
                selector: { app: "istio-ingressgateway", istio: "ingressgateway" },
                servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
            },
        });
        const vs = run.named("app-vs-bookinfo");
        assert.deepEqual(vs.inputs, {
            apiVersion: "networking.istio.io/v1",
            kind: "VirtualService",
            metadata: { name: "bookinfo", namespace: "bookinfo" },
            spec: {
                hosts: ["*"],
                gateways: ["bookinfo-gateway"],
                http: [
                    {
                        match: [
                            { uri: { exact: "/productpage" } },
                            { uri: { prefix: "/static" } },
                            { uri: { exact: "/login" } },
                            { uri: { exact: "/logout" } },
                            { uri: { prefix: "/api/v1/products" } },
                        ],
                        route: [{ destination: { host: "productpage", port: { number: 9080 } } }],
                    },
                ],
            },
        });
        for (const r of [gateway, vs]) {
            assert.deepEqual(run.dependencyNames(r), ["app-ns", "crds", "istiod"]);
        }
    });

    it("joins the mesh's data plane: its injection label, after its injector, pod templates annotated", async () => {
        const annotations = {
            "istio-eks/proxy-version": "1.31.1",
            "istio-eks/control-plane": "1-31-1",
        };
        const run = await build(undefined, (provider) => ({
            namespaceLabels: { "istio.io/rev": "canary" },
            podAnnotations: annotations,
            ready: [new k8s.helm.v3.Release("istiod-canary", { chart: "istiod" }, { provider })],
            tag: {
                webhook: new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
                    "canary-tag",
                    {},
                    { provider },
                ),
                service: new k8s.core.v1.Service("canary-tag-service", {}, { provider }),
            },
        }));
        const ns = run.named("app-ns");
        assert.deepEqual(ns.inputs.metadata.labels, { "istio.io/rev": "canary" });
        assert.deepEqual(run.dependencyNames(ns), [
            "canary-tag",
            "canary-tag-service",
            "istiod-canary",
        ]);
        const model = BookinfoModel.load();
        for (const obj of model.objects) {
            const r = run.named(`app-${obj.kind.toLowerCase()}-${obj.metadata.name}`);
            assert.deepEqual(
                r.inputs,
                {
                    ...withPodAnnotations(obj, annotations),
                    metadata: { ...obj.metadata, namespace: "bookinfo" },
                },
                r.name,
            );
        }
        const productpage = run.named("app-deployment-productpage-v1");
        assert.deepEqual(productpage.inputs.spec.template.metadata, {
            labels: { app: "productpage", version: "v1" },
            annotations,
        });
    });

    it("adds pod-template annotations to Deployments only, keeping the template's own", () => {
        const [service, deployment] = [
            { apiVersion: "v1", kind: "Service", metadata: { name: "s" }, spec: { ports: [] } },
            {
                apiVersion: "apps/v1",
                kind: "Deployment",
                metadata: { name: "d" },
                spec: {
                    replicas: 1,
                    template: { metadata: { annotations: { a: "1" } }, spec: { containers: [] } },
                },
            },
        ];
        assert.equal(withPodAnnotations(service, { b: "2" }), service);
        assert.equal(withPodAnnotations(deployment, {}), deployment);
        assert.deepEqual(withPodAnnotations(deployment, { b: "2" }), {
            ...deployment,
            spec: {
                replicas: 1,
                template: {
                    metadata: { annotations: { a: "1", b: "2" } },
                    spec: { containers: [] },
                },
            },
        });
        assert.deepEqual(deployment.spec.template.metadata.annotations, { a: "1" }, "unchanged");
    });

    it("builds the product page URL from the ingress host and port", async () => {
        const run = await build();
        assert.equal(
            await valueOf(run.result.productPageUrl),
            "http://lb.example.com:80/productpage",
        );
        assert.equal(await valueOf(run.result.namespace), "bookinfo");
    });

    it("gives TypeScript callers its objects by apiVersion/kind/name", async () => {
        const run = await build();
        const objects = run.result.objects;
        assert.deepEqual(
            Object.keys(objects).sort(),
            BookinfoModel.load()
                .objects.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.name}`)
                .sort(),
        );
        assert.equal(
            await valueOf(objects["apps/v1/Deployment/reviews-v2"].urn),
            run.named("app-deployment-reviews-v2").urn,
        );
    });

    it("deploys the objects of a manifest given as YAML text instead", async () => {
        const manifest = [
            "apiVersion: v1",
            "kind: Service",
            "metadata: { name: productpage }",
            "spec: { ports: [{ name: http, port: 9080 }], selector: { app: productpage } }",
            "---",
            "apiVersion: v1",
            "kind: ServiceAccount",
            "metadata: { name: bookinfo-productpage }",
        ].join("\n");
        const run = await build(undefined, undefined, manifest);
        assert.deepEqual(Object.keys(run.result.objects), [
            "v1/Service/productpage",
            "v1/ServiceAccount/bookinfo-productpage",
        ]);
        assert.deepEqual(run.named("app-serviceaccount-bookinfo-productpage").inputs, {
            apiVersion: "v1",
            kind: "ServiceAccount",
            metadata: { name: "bookinfo-productpage", namespace: "bookinfo" },
        });
    });

    it("refuses a manifest it cannot deploy, naming the argument", async () => {
        await assert.rejects(
            build(undefined, undefined, "apiVersion: v1\nkind: Secret\nmetadata: { name: s }"),
            {
                message:
                    "the manifest argument, document 1: v1/Secret is not supported; expected one of v1/Service, v1/ServiceAccount, apps/v1/Deployment",
            },
        );
    });
    describe("with the Gateway API", () => {
        /** A stand-in for an IstioMesh without its gateway chart: CRDs and istiod only. */
        function buildGatewayApi(args: Partial<BookinfoAppArgs> = {}, ambient = false) {
            return runPulumi(() => {
                const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
                const crds = new k8s.helm.v3.Release("crds", { chart: "base" }, { provider });
                const istiod = new k8s.helm.v3.Release("istiod", { chart: "istiod" }, { provider });
                const cni = new k8s.helm.v3.Release("cni", { chart: "cni" }, { provider });
                // An ambient mesh: its namespace labels, and the CNI agent to wait for.
                const dataplane = ambient
                    ? {
                          namespaceLabels: namespaceLabels("ambient"),
                          podAnnotations: { "istio-eks/dataplane": "ambient" },
                          ready: [crds, istiod, cni],
                      }
                    : undefined;
                return new BookinfoApp(
                    "app",
                    {
                        mesh: { ready: [crds, istiod], dataplane },
                        trafficApi: "gateway-api",
                        gatewayApiIngress: { loadBalancerType: "nlb" },
                        ...args,
                    },
                    { provider },
                );
            });
        }
        let sidecar: Awaited<ReturnType<typeof buildGatewayApi>>;
        let ambient: Awaited<ReturnType<typeof buildGatewayApi>>;
        before(async () => {
            sidecar = await buildGatewayApi();
            ambient = await buildGatewayApi({}, true);
        });

        it("exposes the product page through a Gateway of class istio, programmed, with the NLB annotation as infrastructure", async () => {
            const gateway = sidecar.named("app-ingress-gateway");
            assert.equal(gateway.type, "kubernetes:gateway.networking.k8s.io/v1:Gateway");
            assert.deepEqual(gateway.inputs, {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: {
                    name: "bookinfo-gateway",
                    namespace: "bookinfo",
                    annotations: {
                        "pulumi.com/waitFor": "condition=Programmed",
                        "pulumi.com/deletionPropagationPolicy": "foreground",
                    },
                },
                spec: {
                    gatewayClassName: "istio",
                    infrastructure: {
                        annotations: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" },
                    },
                    listeners: [
                        {
                            name: "http",
                            port: 80,
                            protocol: "HTTP",
                            allowedRoutes: { namespaces: { from: "Same" } },
                        },
                    ],
                },
            });
            assert.deepEqual(sidecar.dependencyNames(gateway), ["app-ns", "crds", "istiod"]);
            const route = sidecar.named("app-route-bookinfo");
            assert.equal(route.type, "kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
            assert.equal(route.inputs.metadata.name, "bookinfo");
            assert.deepEqual(route.inputs.spec.parentRefs, [{ name: "bookinfo-gateway" }]);
            assert.deepEqual(route.inputs.spec.rules[0].backendRefs, [
                { name: "productpage", port: 9080 },
            ]);
            assert.deepEqual(sidecar.dependencyNames(route), [
                "app-ingress-gateway",
                "app-ns",
                "crds",
                "istiod",
            ]);
            assert.equal(sidecar.has("app-gateway") || sidecar.has("app-vs-bookinfo"), false);
        });

        it("takes the product page URL from the Gateway's programmed address", async () => {
            assert.equal(
                await valueOf(sidecar.result.productPageUrl),
                `http://${MOCK.ingressHostname}:80/productpage`,
            );
            assert.equal(sidecar.result.portForwardCommand, undefined);
        });

        it("with a NodePort Service: Istio's service-type annotation, and the port-forward to the Service Istio deploys", async () => {
            const run = await buildGatewayApi({
                namespace: "shop",
                gatewayApiIngress: { serviceType: "NodePort", loadBalancerType: "nlb" },
            });
            const gateway = run.named("app-ingress-gateway");
            assert.deepEqual(gateway.inputs.metadata.annotations, {
                "pulumi.com/waitFor": "condition=Programmed",
                "pulumi.com/deletionPropagationPolicy": "foreground",
                "networking.istio.io/service-type": "NodePort",
            });
            assert.equal(gateway.inputs.spec.infrastructure, undefined);
            assert.equal(
                run.result.portForwardCommand,
                "kubectl port-forward -n shop svc/bookinfo-gateway-istio 8080:80",
            );
            assert.equal(
                await valueOf(run.result.productPageUrl),
                "http://localhost:8080/productpage",
            );
        });

        it("with sidecars: the namespace labelled for injection, no waypoint", () => {
            assert.deepEqual(sidecar.named("app-ns").inputs.metadata.labels, {
                "istio-injection": "enabled",
            });
            assert.equal(sidecar.has("app-waypoint"), false);
            assert.equal(sidecar.result.waypointName, undefined);
        });

        it("in ambient mode: the namespace in the ambient mesh, using its waypoint, which routing waits for", async () => {
            const ns = ambient.named("app-ns");
            assert.deepEqual(ns.inputs.metadata.labels, {
                "istio.io/dataplane-mode": "ambient",
                "istio.io/use-waypoint": "waypoint",
            });
            const waypoint = ambient.named("app-waypoint");
            assert.deepEqual(waypoint.inputs, {
                apiVersion: "gateway.networking.k8s.io/v1",
                kind: "Gateway",
                metadata: {
                    name: "waypoint",
                    namespace: "bookinfo",
                    labels: { "istio.io/waypoint-for": "service" },
                    annotations: { "pulumi.com/waitFor": "condition=Programmed" },
                },
                spec: {
                    gatewayClassName: "istio-waypoint",
                    listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
                },
            });
            assert.deepEqual(ambient.dependencyNames(ambient.named("app-ns")), [
                "cni",
                "crds",
                "istiod",
            ]);
            assert.deepEqual(ambient.dependencyNames(waypoint), ["app-ns", "crds", "istiod"]);
            // An output of the waypoint: what waits on it waits for the waypoint (GatewayApiRouting).
            assert.equal(await valueOf(ambient.result.waypointName), "waypoint");
        });

        it("in ambient mode: carries the mesh's pod annotations, so that a switch of data plane restarts the pods", () => {
            for (const d of ambient.ofType("kubernetes:apps/v1:Deployment")) {
                const [app, version] = d.inputs.metadata.name.split("-");
                assert.deepEqual(d.inputs.spec.template.metadata, {
                    labels: { app, version },
                    annotations: { "istio-eks/dataplane": "ambient" },
                });
            }
            for (const d of sidecar.ofType("kubernetes:apps/v1:Deployment")) {
                assert.equal(d.inputs.spec.template.metadata.annotations, undefined);
            }
        });

        it("refuses ambient mode with Istio's APIs before registering anything of its own", async () => {
            await assert.rejects(
                buildGatewayApi({ trafficApi: "istio" }, true),
                /trafficApi "istio" with dataplane "ambient": Istio's ambient mode routes L7 traffic in waypoints/,
            );
        });

        it("refuses a data plane mode its labels contradict, or one it does not know", async () => {
            const build = (mode: pulumi.Input<string>) =>
                runPulumi(
                    () =>
                        new BookinfoApp("app", {
                            mesh: {
                                ready: [],
                                dataplane: {
                                    mode: mode as Dataplane,
                                    namespaceLabels: namespaceLabels("sidecar"),
                                    podAnnotations: {},
                                    ready: [],
                                },
                            },
                            trafficApi: "gateway-api",
                        }),
                );
            await assert.rejects(build("ambient"), {
                message:
                    'mesh dataplane mode "ambient", but its namespaceLabels {"istio-injection":"enabled"} are sidecar\'s',
            });
            await assert.rejects(build("ambiant"), {
                message: 'mesh dataplane mode "ambiant": expected one of sidecar, ambient',
            });
            await assert.rejects(build(pulumi.output("ambient")), {
                message:
                    'mesh dataplane mode: a value ("sidecar" or "ambient"), not an output, since it decides what the app creates',
            });
        });

        it("refuses Istio's APIs without the mesh's ingress gateway", async () => {
            await assert.rejects(
                buildGatewayApi({ trafficApi: "istio" }),
                /trafficApi "istio" needs the mesh's ingress gateway/,
            );
        });
    });
});
