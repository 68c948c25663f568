/**
 * The observability add-ons as data: which chart each comes from, at which version, and the
 * fixed names and ports by which the others (and istiod, and the user's port-forwards) find it.
 * Every cross-reference is derived from here: components/meshObservability.ts builds the charts'
 * values from it, `npm run dashboards` and `npm run verify -- --prometheus` read it.
 */
import { END_USER_HEADER } from "./routing";

/** Where the add-ons run: beside istiod, where Kiali and Istio's own samples expect them. */
export const OBSERVABILITY_NAMESPACE = "istio-system";

/** The add-ons, in the order they are installed and listed. */
export const ADDONS = ["prometheus", "grafana", "jaeger", "kiali"] as const;
/** One add-on: `prometheus`, `grafana`, `jaeger` or `kiali`. */
export type Addon = (typeof ADDONS)[number];

/** An official Helm chart at a pinned version. */
export interface ChartRef {
    readonly repo: string;
    readonly chart: string;
    readonly version: string;
}

/**
 * The charts. Prometheus, Grafana and Kiali are the charts and versions Istio 1.30's own add-on
 * files are rendered from (manifests/addons/gen.sh in istio/istio, release-1.30); Istio renders
 * Jaeger from a plain manifest, so Jaeger is the Jaeger project's own chart (4.11.1 runs Jaeger
 * 2.19.0, the all-in-one with in-memory storage).
 */
export const ADDON_CHARTS: Readonly<Record<Addon, ChartRef>> = {
    prometheus: {
        repo: "https://prometheus-community.github.io/helm-charts",
        chart: "prometheus",
        version: "28.13.0",
    },
    grafana: { repo: "https://grafana.github.io/helm-charts", chart: "grafana", version: "9.2.2" },
    jaeger: {
        repo: "https://jaegertracing.github.io/helm-charts",
        chart: "jaeger",
        version: "4.11.1",
    },
    kiali: { repo: "https://kiali.org/helm-charts", chart: "kiali-server", version: "2.26.0" },
};

/** One add-on's Service: its name (also the Helm release's) and the port of its UI or API. */
export interface AddonService {
    readonly name: string;
    readonly port: number;
    /** The path of the UI under that port ("" for the root). */
    readonly path: string;
}

/**
 * The Services, named by each chart's fullname override (so no release-derived suffix) and at
 * the ports Istio's docs and `istioctl dashboard` use.
 */
export const ADDON_SERVICES: Readonly<Record<Addon, AddonService>> = {
    prometheus: { name: "prometheus", port: 9090, path: "" },
    grafana: { name: "grafana", port: 3000, path: "" },
    // Jaeger's query UI; the same Service carries the collector's and the query API's ports.
    jaeger: { name: "jaeger", port: 16686, path: "" },
    // The kiali-server chart serves under /kiali on Kubernetes; we set it, not rely on it.
    kiali: { name: "kiali", port: 20001, path: "/kiali" },
};

/** Jaeger's OTLP/gRPC collector port, where the proxies send spans. */
export const JAEGER_OTLP_GRPC_PORT = 4317;

/** Jaeger's gRPC query port, which Kiali reads traces from. */
export const JAEGER_GRPC_QUERY_PORT = 16685;

/** The name of the mesh config's extension provider for tracing; the Telemetry names it. */
export const TRACING_PROVIDER = "jaeger";

/** The mesh-wide Telemetry: in the root namespace, under the name Istio's docs use. */
export const TELEMETRY_NAME = "mesh-default";

/** How often Prometheus scrapes (Istio's add-on uses 15 s rather than the chart's 1 m). */
export const SCRAPE_INTERVAL_SECONDS = 15;

/** The pod label that keeps Istio's injector away: the add-ons run without sidecars. */
export const NO_SIDECAR_LABEL = { "sidecar.istio.io/inject": "false" } as const;

/** An add-on's address inside the cluster, e.g. `http://prometheus.istio-system:9090`. */
export function clusterUrl(addon: Addon, port = ADDON_SERVICES[addon].port): string {
    return `http://${ADDON_SERVICES[addon].name}.${OBSERVABILITY_NAMESPACE}:${port}`;
}

/** An add-on's fully qualified Service host, as Istio's mesh config wants it. */
export function serviceFqdn(addon: Addon): string {
    return `${ADDON_SERVICES[addon].name}.${OBSERVABILITY_NAMESPACE}.svc.cluster.local`;
}

/** How to open one UI from a workstation. */
export interface Dashboard {
    /** The `kubectl port-forward` that makes it reachable on localhost. */
    readonly portForwardCommand: string;
    /** Its address while that port-forward runs. */
    readonly url: string;
}

/** The `kubectl port-forward` arguments for one add-on: the same local port as the Service's. */
export function portForwardArgs(addon: Addon): string[] {
    const { name, port } = ADDON_SERVICES[addon];
    return ["port-forward", "-n", OBSERVABILITY_NAMESPACE, `svc/${name}`, `${port}:${port}`];
}

/** Each UI's port-forward command and local URL. */
export function dashboards(): Record<Addon, Dashboard> {
    const entry = (addon: Addon): Dashboard => ({
        portForwardCommand: ["kubectl", ...portForwardArgs(addon)].join(" "),
        url: localUrl(addon),
    });
    return Object.fromEntries(ADDONS.map((a) => [a, entry(a)])) as Record<Addon, Dashboard>;
}

/** An add-on's UI on localhost through its port-forward. */
export function localUrl(addon: Addon): string {
    const { port, path } = ADDON_SERVICES[addon];
    return `http://localhost:${port}${path}`;
}

/**
 * What istiod's mesh config needs for tracing: an extension provider sending OpenTelemetry
 * spans to Jaeger's collector (as Istio's Jaeger task does), for the Telemetry to select.
 */
export function tracingMeshConfig() {
    return {
        enableTracing: true,
        extensionProviders: [
            {
                name: TRACING_PROVIDER,
                opentelemetry: { service: serviceFqdn("jaeger"), port: JAEGER_OTLP_GRPC_PORT },
            },
        ],
    };
}

/**
 * The mesh-wide Telemetry's spec: trace `samplingPercent` of requests through the provider, and
 * tag each span with the signed-in user that productpage passes on (so jason's requests can be
 * searched for in Jaeger as `end-user=jason`).
 */
export function telemetrySpec(samplingPercent: number) {
    return {
        tracing: [
            {
                providers: [{ name: TRACING_PROVIDER }],
                randomSamplingPercentage: samplingPercent,
                customTags: { [END_USER_HEADER]: { header: { name: END_USER_HEADER } } },
            },
        ],
    };
}

/** Tracing sampling is a percent; Istio takes 0 to 100 with two decimals. */
export const TRACING_SAMPLING_RANGE = { min: 0, max: 100 } as const;

/** Percent of requests traced by default: all of them, so every page of a demo has its trace. */
export const DEFAULT_TRACING_SAMPLING = 100;

/**
 * Istio's Grafana dashboards, by the file name Grafana stores each under, from the files Istio
 * keeps (and generates its own Grafana add-on from) in its repository.
 */
export const ISTIO_DASHBOARDS = {
    "istio-mesh": "istio-mesh-dashboard.gen.json",
    "istio-service": "istio-service-dashboard.json",
    "istio-workload": "istio-workload-dashboard.json",
    "istio-control-plane": "pilot-dashboard.gen.json",
} as const;

/** Where Grafana downloads one of Istio's dashboards, at the tag of the installed Istio. */
export function istioDashboardUrl(istioVersion: string, file: string): string {
    return `https://raw.githubusercontent.com/istio/istio/${istioVersion}/manifests/addons/dashboards/${file}`;
}

/** Grafana's dashboard provider (and folder) for Istio's dashboards, and where it reads them. */
export const GRAFANA_DASHBOARD_PROVIDER = {
    name: "istio",
    path: "/var/lib/grafana/dashboards/istio",
};
