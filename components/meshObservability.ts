import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    Addon,
    ADDON_CHARTS,
    ADDON_SERVICES,
    clusterUrl,
    Dashboard,
    dashboards,
    DEFAULT_TRACING_SAMPLING,
    GRAFANA_DASHBOARD_PROVIDER,
    ISTIO_DASHBOARDS,
    istioDashboardUrl,
    JAEGER_GRPC_QUERY_PORT,
    localUrl,
    NO_SIDECAR_LABEL,
    OBSERVABILITY_NAMESPACE,
    SCRAPE_INTERVAL_SECONDS,
    TELEMETRY_NAME,
    telemetrySpec,
    TRACING_SAMPLING_RANGE,
} from "../lib/observability";

/** Arguments of `MeshObservability`. */
export interface MeshObservabilityArgs {
    /** Istio's version, e.g. `"1.30.5"`: Grafana loads Istio's dashboards of that release. */
    istioVersion: string;
    /**
     * Percent of requests traced, from 0 to 100 (Istio keeps two decimals). Defaults to 100:
     * every request of a demo is worth a trace; lower it for real traffic.
     */
    tracingSampling?: number;
    /**
     * What must exist first: Istio's CRDs (the Telemetry is one of their kinds) and istiod with
     * the tracing provider in its mesh config (see `tracingMeshConfig`): the Helm releases of
     * an IstioMesh's `ready`.
     */
    istioReady?: pulumi.Input<k8s.helm.v3.Release[]>;
}

/** The Helm release of each add-on. */
export interface AddonReleases {
    /** Prometheus, scraping the mesh's metrics. */
    prometheus: k8s.helm.v3.Release;
    /** Grafana, with Istio's dashboards. */
    grafana: k8s.helm.v3.Release;
    /** Jaeger, collecting the proxies' spans. */
    jaeger: k8s.helm.v3.Release;
    /** Kiali, wired to the other three. */
    kiali: k8s.helm.v3.Release;
}

/** How to open each add-on's UI from a workstation. */
export interface AddonDashboards {
    /** Prometheus's UI. */
    prometheus: Dashboard;
    /** Grafana's UI. */
    grafana: Dashboard;
    /** Jaeger's UI. */
    jaeger: Dashboard;
    /** Kiali's UI. */
    kiali: Dashboard;
}

/** The Telemetry of each MeshObservability, for TypeScript callers. */
const telemetryOf = new WeakMap<MeshObservability, k8s.apiextensions.CustomResource>();

/**
 * The chart values of each add-on: fixed names where another add-on, istiod or a port-forward
 * must find a Service, the ports of lib/observability.ts, no sidecars, and the non-essential
 * parts off.
 */
export function addonValues(istioVersion: string): Record<Addon, Record<string, unknown>> {
    return {
        prometheus: {
            // The chart's own `kubernetes-pods` job scrapes every pod by its prometheus.io/*
            // annotations, which Istio's metrics merging (on by default) puts on each sidecar and
            // gateway pod, pointing at the merged metrics on port 15020: no job of our own needed.
            alertmanager: { enabled: false },
            "kube-state-metrics": { enabled: false },
            "prometheus-node-exporter": { enabled: false },
            "prometheus-pushgateway": { enabled: false },
            server: {
                fullnameOverride: ADDON_SERVICES.prometheus.name,
                podLabels: NO_SIDECAR_LABEL,
                // An emptyDir: a volume claim would wait forever on a cluster without a CSI driver.
                persistentVolume: { enabled: false },
                service: { servicePort: ADDON_SERVICES.prometheus.port },
                global: { scrape_interval: `${SCRAPE_INTERVAL_SECONDS}s` },
            },
        },
        grafana: {
            fullnameOverride: ADDON_SERVICES.grafana.name,
            service: { port: ADDON_SERVICES.grafana.port },
            podLabels: NO_SIDECAR_LABEL,
            // Reachable only through kubectl port-forward, so no login in the way.
            "grafana.ini": { "auth.anonymous": { enabled: true, org_role: "Admin" } },
            datasources: {
                "datasources.yaml": {
                    apiVersion: 1,
                    datasources: [
                        {
                            name: "Prometheus",
                            type: "prometheus",
                            url: clusterUrl("prometheus"),
                            access: "proxy",
                            isDefault: true,
                            jsonData: { timeInterval: `${SCRAPE_INTERVAL_SECONDS}s` },
                        },
                    ],
                },
            },
            dashboardProviders: {
                "dashboardproviders.yaml": {
                    apiVersion: 1,
                    providers: [
                        {
                            name: GRAFANA_DASHBOARD_PROVIDER.name,
                            orgId: 1,
                            folder: GRAFANA_DASHBOARD_PROVIDER.name,
                            type: "file",
                            disableDeletion: false,
                            options: { path: GRAFANA_DASHBOARD_PROVIDER.path },
                        },
                    ],
                },
            },
            // Downloaded by the chart's init container at start; their data source variable
            // picks the default Prometheus above.
            dashboards: {
                [GRAFANA_DASHBOARD_PROVIDER.name]: Object.fromEntries(
                    Object.entries(ISTIO_DASHBOARDS).map(([key, file]) => [
                        key,
                        { url: istioDashboardUrl(istioVersion, file) },
                    ]),
                ),
            },
        },
        jaeger: {
            // The all-in-one (collector, query, in-memory storage) under one Service name.
            fullnameOverride: ADDON_SERVICES.jaeger.name,
            jaeger: { podLabels: NO_SIDECAR_LABEL },
        },
        kiali: {
            // Reachable only through kubectl port-forward, never through the ingress.
            auth: { strategy: "anonymous" },
            deployment: {
                instance_name: ADDON_SERVICES.kiali.name,
                pod_labels: NO_SIDECAR_LABEL,
                ingress: { enabled: false },
            },
            server: { port: ADDON_SERVICES.kiali.port, web_root: ADDON_SERVICES.kiali.path },
            external_services: {
                prometheus: { url: clusterUrl("prometheus") },
                grafana: {
                    enabled: true,
                    internal_url: clusterUrl("grafana"),
                    external_url: localUrl("grafana"),
                },
                tracing: {
                    enabled: true,
                    provider: "jaeger",
                    internal_url: clusterUrl("jaeger", JAEGER_GRPC_QUERY_PORT),
                    use_grpc: true,
                    external_url: localUrl("jaeger"),
                },
            },
        },
    };
}

/**
 * Istio's observability add-ons from their official charts: Prometheus scraping the mesh's
 * merged metrics, Grafana with Istio's dashboards, Jaeger collecting the proxies' spans, and
 * Kiali wired to all three; and the mesh-wide `Telemetry` that turns tracing on. Everything
 * runs in istio-system without sidecars, reachable through `kubectl port-forward` only.
 *
 * The cluster is the one of the Kubernetes provider given in the resource options (`provider`,
 * or `providers`) or inherited from a parent; without any, Pulumi's default provider.
 */
export class MeshObservability extends pulumi.ComponentResource {
    /** The Helm release of each add-on. */
    public readonly releases: AddonReleases;
    /** For each UI, the `kubectl port-forward` command and the local URL it serves. */
    public readonly dashboards: AddonDashboards;

    constructor(name: string, args: MeshObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before anything is registered, this component included.
        const sampling = args.tracingSampling ?? DEFAULT_TRACING_SAMPLING;
        const { min, max } = TRACING_SAMPLING_RANGE;
        if (!Number.isFinite(sampling) || sampling < min || sampling > max) {
            throw new Error(
                `MeshObservability ${name}: tracingSampling = ${sampling}: expected a percent from ${min} to ${max}`,
            );
        }
        super("istio-eks:index:MeshObservability", name, {}, opts);
        const k8sOpts = { parent: this };
        const values = addonValues(args.istioVersion);
        // What must exist first, and then `others` too.
        const after = (...others: pulumi.Resource[]) =>
            pulumi.output(args.istioReady ?? []).apply((ready) => [...ready, ...others]);
        const release = (addon: Addon, dependsOn: pulumi.Input<pulumi.Resource[]>) => {
            const { repo, chart, version } = ADDON_CHARTS[addon];
            return new k8s.helm.v3.Release(
                `${name}-${addon}`,
                {
                    chart,
                    version,
                    repositoryOpts: { repo },
                    name: ADDON_SERVICES[addon].name,
                    namespace: OBSERVABILITY_NAMESPACE,
                    values: values[addon],
                },
                { ...k8sOpts, dependsOn },
            );
        };

        const prometheus = release("prometheus", after());
        const grafana = release("grafana", after(prometheus));
        const jaeger = release("jaeger", after());
        const kiali = release("kiali", after(prometheus, grafana, jaeger));
        this.releases = { prometheus, grafana, jaeger, kiali } satisfies Record<
            Addon,
            k8s.helm.v3.Release
        >;

        const telemetry = new k8s.apiextensions.CustomResource(
            `${name}-telemetry`,
            {
                apiVersion: "telemetry.istio.io/v1",
                kind: "Telemetry",
                metadata: { name: TELEMETRY_NAME, namespace: OBSERVABILITY_NAMESPACE },
                spec: telemetrySpec(sampling),
            },
            // The collector first, so the proxies' first spans have somewhere to go.
            { ...k8sOpts, dependsOn: after(jaeger) },
        );
        telemetryOf.set(this, telemetry);

        this.dashboards = dashboards();
        this.registerOutputs({ dashboards: this.dashboards });
    }

    /**
     * The mesh-wide Telemetry that traces `tracingSampling` percent of requests (TypeScript only:
     * a package schema cannot name a CustomResource).
     */
    public get telemetry(): k8s.apiextensions.CustomResource {
        const telemetry = telemetryOf.get(this);
        if (telemetry === undefined) {
            throw new Error("MeshObservability: telemetry read before construction ended");
        }
        return telemetry;
    }
}
