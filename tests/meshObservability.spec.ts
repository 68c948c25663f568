import * as assert from "assert/strict";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { ISTIO_NAMESPACE } from "../components/istioMesh";
import { MeshObservability, MeshObservabilityArgs } from "../components/meshObservability";
import { tracingMeshConfig } from "../lib/observability";
import { defaultTrafficOptions, routingPlan } from "../lib/routing";
import { runPulumi } from "./harness";

const NO_SIDECAR = { "sidecar.istio.io/inject": "false" };
const DASHBOARD_BASE =
    "https://raw.githubusercontent.com/istio/istio/1.30.5/manifests/addons/dashboards";

/** A release's inputs without the SDK's own `compat` marker. */
function chartInputs(inputs: Record<string, unknown>) {
    // eslint-disable-next-line @typescript-eslint/no-unused-vars
    const { compat, ...rest } = inputs;
    return rest;
}

function build(args: Partial<MeshObservabilityArgs> = {}) {
    return runPulumi(() => {
        const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
        // Stands in for IstioMesh.ready.
        const istiod = new k8s.helm.v3.Release("istiod", { chart: "istiod" }, { provider });
        return new MeshObservability(
            "obs",
            { istioVersion: "1.30.5", istioReady: [istiod], ...args },
            { provider },
        );
    });
}

describe("MeshObservability", () => {
    let run: Awaited<ReturnType<typeof build>>;
    before(async () => {
        run = await build();
    });

    it("installs Prometheus from its official chart at Istio 1.30's version, the non-essential parts off", () => {
        assert.deepEqual(chartInputs(run.named("obs-prometheus").inputs), {
            chart: "prometheus",
            version: "28.13.0",
            repositoryOpts: { repo: "https://prometheus-community.github.io/helm-charts" },
            name: "prometheus",
            namespace: "istio-system",
            values: {
                alertmanager: { enabled: false },
                "kube-state-metrics": { enabled: false },
                "prometheus-node-exporter": { enabled: false },
                "prometheus-pushgateway": { enabled: false },
                server: {
                    fullnameOverride: "prometheus",
                    podLabels: NO_SIDECAR,
                    persistentVolume: { enabled: false },
                    service: { servicePort: 9090 },
                    global: { scrape_interval: "15s" },
                },
            },
        });
    });

    it("installs Grafana with Prometheus as its data source and Istio's dashboards of the installed release", () => {
        assert.deepEqual(chartInputs(run.named("obs-grafana").inputs), {
            chart: "grafana",
            version: "9.2.2",
            repositoryOpts: { repo: "https://grafana.github.io/helm-charts" },
            name: "grafana",
            namespace: "istio-system",
            values: {
                fullnameOverride: "grafana",
                service: { port: 3000 },
                podLabels: NO_SIDECAR,
                "grafana.ini": { "auth.anonymous": { enabled: true, org_role: "Admin" } },
                datasources: {
                    "datasources.yaml": {
                        apiVersion: 1,
                        datasources: [
                            {
                                name: "Prometheus",
                                type: "prometheus",
                                url: "http://prometheus.istio-system:9090",
                                access: "proxy",
                                isDefault: true,
                                jsonData: { timeInterval: "15s" },
                            },
                        ],
                    },
                },
                dashboardProviders: {
                    "dashboardproviders.yaml": {
                        apiVersion: 1,
                        providers: [
                            {
                                name: "istio",
                                orgId: 1,
                                folder: "istio",
                                type: "file",
                                disableDeletion: false,
                                options: { path: "/var/lib/grafana/dashboards/istio" },
                            },
                        ],
                    },
                },
                dashboards: {
                    istio: {
                        "istio-mesh": { url: `${DASHBOARD_BASE}/istio-mesh-dashboard.gen.json` },
                        "istio-service": { url: `${DASHBOARD_BASE}/istio-service-dashboard.json` },
                        "istio-workload": {
                            url: `${DASHBOARD_BASE}/istio-workload-dashboard.json`,
                        },
                        "istio-control-plane": {
                            url: `${DASHBOARD_BASE}/pilot-dashboard.gen.json`,
                        },
                    },
                },
            },
        });
    });

    it("installs Jaeger's all-in-one from the Jaeger chart under the fixed name jaeger", () => {
        assert.deepEqual(chartInputs(run.named("obs-jaeger").inputs), {
            chart: "jaeger",
            version: "4.11.1",
            repositoryOpts: { repo: "https://jaegertracing.github.io/helm-charts" },
            name: "jaeger",
            namespace: "istio-system",
            values: { fullnameOverride: "jaeger", jaeger: { podLabels: NO_SIDECAR } },
        });
    });

    it("installs Kiali with anonymous access, no ingress, wired to Prometheus, Grafana and Jaeger", () => {
        assert.deepEqual(chartInputs(run.named("obs-kiali").inputs), {
            chart: "kiali-server",
            version: "2.26.0",
            repositoryOpts: { repo: "https://kiali.org/helm-charts" },
            name: "kiali",
            namespace: "istio-system",
            values: {
                auth: { strategy: "anonymous" },
                deployment: {
                    instance_name: "kiali",
                    pod_labels: NO_SIDECAR,
                    ingress: { enabled: false },
                },
                server: { port: 20001, web_root: "/kiali" },
                external_services: {
                    prometheus: { url: "http://prometheus.istio-system:9090" },
                    grafana: {
                        enabled: true,
                        internal_url: "http://grafana.istio-system:3000",
                        external_url: "http://localhost:3000",
                    },
                    tracing: {
                        enabled: true,
                        provider: "jaeger",
                        internal_url: "http://jaeger.istio-system:16685",
                        use_grpc: true,
                        external_url: "http://localhost:16686",
                    },
                },
            },
        });
    });

    it("turns tracing on mesh-wide with a Telemetry naming istiod's tracing provider", () => {
        const telemetry = run.named("obs-telemetry");
        assert.equal(telemetry.type, "kubernetes:telemetry.istio.io/v1:Telemetry");
        assert.deepEqual(telemetry.inputs, {
            apiVersion: "telemetry.istio.io/v1",
            kind: "Telemetry",
            metadata: { name: "mesh-default", namespace: "istio-system" },
            spec: {
                tracing: [
                    {
                        providers: [{ name: "jaeger" }],
                        randomSamplingPercentage: 100,
                        customTags: { "end-user": { header: { name: "end-user" } } },
                    },
                ],
            },
        });
        const provider = tracingMeshConfig().extensionProviders[0];
        assert.equal(telemetry.inputs.spec.tracing[0].providers[0].name, provider.name);
    });

    it("samples tracingSampling percent of requests", async () => {
        const sampled = await build({ tracingSampling: 2.5 });
        assert.equal(
            sampled.named("obs-telemetry").inputs.spec.tracing[0].randomSamplingPercentage,
            2.5,
        );
    });

    it("refuses a sampling percent outside 0 to 100 before registering anything", async () => {
        for (const bad of [-1, 100.5, NaN]) {
            await assert.rejects(build({ tracingSampling: bad, istioReady: undefined }), {
                message: `MeshObservability obs: tracingSampling = ${bad}: expected a percent from 0 to 100`,
            });
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            const monitor = pulumi.runtime.getMonitor() as any;
            const registered = [...monitor.getRegisteredResources().keys()] as string[];
            assert.deepEqual(
                registered.filter((urn) => urn.includes("MeshObservability")),
                [],
            );
        }
    });

    it("waits for istiod; Kiali waits for what it links to, the Telemetry for the collector", () => {
        const deps = (n: string) => run.dependencyNames(run.named(n));
        assert.deepEqual(deps("obs-prometheus"), ["istiod"]);
        assert.deepEqual(deps("obs-jaeger"), ["istiod"]);
        assert.deepEqual(deps("obs-grafana"), ["istiod", "obs-prometheus"]);
        assert.deepEqual(deps("obs-kiali"), [
            "istiod",
            "obs-grafana",
            "obs-jaeger",
            "obs-prometheus",
        ]);
        assert.deepEqual(deps("obs-telemetry"), ["istiod", "obs-jaeger"]);
    });

    it("outputs each UI's port-forward command and local URL", () => {
        assert.deepEqual(run.result.dashboards, {
            prometheus: {
                portForwardCommand: "kubectl port-forward -n istio-system svc/prometheus 9090:9090",
                url: "http://localhost:9090",
            },
            grafana: {
                portForwardCommand: "kubectl port-forward -n istio-system svc/grafana 3000:3000",
                url: "http://localhost:3000",
            },
            jaeger: {
                portForwardCommand: "kubectl port-forward -n istio-system svc/jaeger 16686:16686",
                url: "http://localhost:16686",
            },
            kiali: {
                portForwardCommand: "kubectl port-forward -n istio-system svc/kiali 20001:20001",
                url: "http://localhost:20001/kiali",
            },
        });
    });

    it("puts every resource under the component and on the given provider", () => {
        const children = run.resources.filter((r) => r.parent.includes("MeshObservability"));
        assert.deepEqual(children.map((r) => [r.name, run.providerName(r)]).sort(), [
            ["obs-grafana", "k8s"],
            ["obs-jaeger", "k8s"],
            ["obs-kiali", "k8s"],
            ["obs-prometheus", "k8s"],
            ["obs-telemetry", "k8s"],
        ]);
    });
});

describe("the observability cross-references", () => {
    let run: Awaited<ReturnType<typeof build>>;
    before(async () => {
        run = await build();
    });
    const values = (addon: string) => run.named(`obs-${addon}`).inputs.values;
    const namespace = (addon: string) => run.named(`obs-${addon}`).inputs.namespace;
    /** The in-cluster address of a Service as the charts' own values name it. */
    const service = (addon: string, name: string, port: number) =>
        `http://${name}.${namespace(addon)}:${port}`;

    it("run the add-ons in Istio's namespace, beside istiod", () => {
        for (const addon of ["prometheus", "grafana", "jaeger", "kiali"]) {
            assert.equal(namespace(addon), ISTIO_NAMESPACE);
        }
    });

    it("point Grafana and Kiali at the Service the Prometheus chart creates", () => {
        const server = values("prometheus").server;
        const prometheus = service(
            "prometheus",
            server.fullnameOverride,
            server.service.servicePort,
        );
        assert.equal(
            values("grafana").datasources["datasources.yaml"].datasources[0].url,
            prometheus,
        );
        assert.equal(values("kiali").external_services.prometheus.url, prometheus);
    });

    it("point Kiali at Grafana's and Jaeger's Services, and at their port-forwards for links", () => {
        const grafana = values("grafana");
        const kiali = values("kiali").external_services;
        const ui = run.result.dashboards;
        assert.equal(
            kiali.grafana.internal_url,
            service("grafana", grafana.fullnameOverride, grafana.service.port),
        );
        assert.equal(kiali.grafana.external_url, ui.grafana.url);
        // The Jaeger chart's Service carries query gRPC on 16685 whatever the values say.
        assert.equal(
            kiali.tracing.internal_url,
            service("jaeger", values("jaeger").fullnameOverride, 16685),
        );
        assert.equal(kiali.tracing.external_url, ui.jaeger.url);
    });

    it("send the proxies' spans to Jaeger's OTLP port, through the provider the Telemetry names", () => {
        const [provider] = tracingMeshConfig().extensionProviders;
        assert.deepEqual(provider.opentelemetry, {
            service: `${values("jaeger").fullnameOverride}.${namespace("jaeger")}.svc.cluster.local`,
            port: 4317,
        });
        assert.deepEqual(run.named("obs-telemetry").inputs.spec.tracing[0].providers, [
            { name: provider.name },
        ]);
        assert.equal(run.named("obs-telemetry").inputs.metadata.namespace, ISTIO_NAMESPACE);
    });

    it("tag spans with the header the routing tells jason by", () => {
        const plan = routingPlan(
            { reviews: ["v1", "v2", "v3"] },
            defaultTrafficOptions("jason-v2"),
        );
        const reviews = plan.virtualServices.find((vs) => vs.name === "reviews")!;
        const [jasonRoute] = reviews.spec.http;
        const matched = Object.keys(jasonRoute.match![0].headers!);
        const tags = run.named("obs-telemetry").inputs.spec.tracing[0].customTags;
        assert.deepEqual(Object.keys(tags), matched);
        assert.deepEqual(
            Object.values(tags).map((t) => (t as { header: { name: string } }).header.name),
            matched,
        );
    });

    it("port-forward to each chart's Service at the port its values set", () => {
        const ui = run.result.dashboards;
        const forward = (name: string, port: number) =>
            `kubectl port-forward -n ${ISTIO_NAMESPACE} svc/${name} ${port}:${port}`;
        const server = values("prometheus").server;
        assert.equal(
            ui.prometheus.portForwardCommand,
            forward(server.fullnameOverride, server.service.servicePort),
        );
        const grafana = values("grafana");
        assert.equal(
            ui.grafana.portForwardCommand,
            forward(grafana.fullnameOverride, grafana.service.port),
        );
        // The Jaeger chart's query UI is on 16686.
        assert.equal(
            ui.jaeger.portForwardCommand,
            forward(values("jaeger").fullnameOverride, 16686),
        );
        const kiali = values("kiali");
        assert.equal(
            ui.kiali.portForwardCommand,
            forward(kiali.deployment.instance_name, kiali.server.port),
        );
        assert.equal(ui.kiali.url, `http://localhost:${kiali.server.port}${kiali.server.web_root}`);
    });

    it("keep the releases' names those of their Services", () => {
        assert.equal(
            run.named("obs-prometheus").inputs.name,
            values("prometheus").server.fullnameOverride,
        );
        for (const addon of ["grafana", "jaeger"]) {
            assert.equal(run.named(`obs-${addon}`).inputs.name, values(addon).fullnameOverride);
        }
        assert.equal(run.named("obs-kiali").inputs.name, values("kiali").deployment.instance_name);
    });
});
