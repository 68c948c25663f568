/**
 * The traffic model: which API carries the routing (Istio's own or the Kubernetes Gateway API)
 * and which data plane applies it (sidecars, or ambient mode's ztunnel and waypoints), with the
 * facts both choices rest on. Pure data and functions; config and the components read them.
 */

/**
 * The API routing is written in. (An object and a type of one name: a package schema takes it as
 * an enum, TypeScript as a string literal.)
 */
export const TrafficApi = {
    /** Istio's own: Gateway, VirtualService, DestinationRule. */
    Istio: "istio",
    /** The Kubernetes Gateway API: Gateway, HTTPRoute. */
    GatewayApi: "gateway-api",
} as const;
export type TrafficApi = (typeof TrafficApi)[keyof typeof TrafficApi];
export const TRAFFIC_APIS = Object.values(TrafficApi);

/** Istio's data plane. */
export const Dataplane = {
    /** An Envoy sidecar injected into every pod. */
    Sidecar: "sidecar",
    /** Ambient mode: ztunnel on every node for L4 and mutual TLS, waypoints for L7. */
    Ambient: "ambient",
} as const;
export type Dataplane = (typeof Dataplane)[keyof typeof Dataplane];
export const DATAPLANES = Object.values(Dataplane);

/** Where the Gateway API CRDs come from. */
export const GatewayApiCrdSource = {
    /** Installed (and on destroy deleted) by the program. */
    Install: "install",
    /** Already on the cluster, managed by someone else: only read and checked. */
    Existing: "existing",
} as const;
export type GatewayApiCrdSource = (typeof GatewayApiCrdSource)[keyof typeof GatewayApiCrdSource];
export const GATEWAY_API_CRD_SOURCES = Object.values(GatewayApiCrdSource);

/** A traffic API and a data plane. */
export interface TrafficModel {
    /** The API the routing is written in. */
    readonly trafficApi: TrafficApi;
    /** What applies it: sidecars or ambient mode. */
    readonly dataplane: Dataplane;
}

/** Today's model, and the default: Istio's APIs applied by sidecars. */
export const DEFAULT_TRAFFIC_MODEL: TrafficModel = { trafficApi: "istio", dataplane: "sidecar" };

/**
 * Why Istio does not support a combination, or undefined when it does. Ambient mode applies L7
 * routing in waypoints, which take the Gateway API's HTTPRoutes; VirtualService support there is
 * Alpha, and routing by DestinationRule subsets needs per-version Services anyway.
 */
export function unsupportedTrafficModel(model: TrafficModel): string | undefined {
    if (model.dataplane === "ambient" && model.trafficApi === "istio") {
        return (
            "Istio's ambient mode routes L7 traffic in waypoints with Gateway API HTTPRoutes; " +
            "VirtualServices there are Alpha and subsets are not routed: set trafficApi gateway-api, or dataplane sidecar"
        );
    }
    return undefined;
}

/**
 * The Gateway API release whose standard-channel CRDs the program installs: the one Istio 1.30
 * is built against (its go.mod requires sigs.k8s.io/gateway-api v1.5.1).
 */
export const GATEWAY_API_VERSION = "v1.5.1";

/** The release's standard-channel install file, as Istio's docs apply it. */
export function gatewayApiCrdsUrl(version = GATEWAY_API_VERSION): string {
    return `https://github.com/kubernetes-sigs/gateway-api/releases/download/${version}/standard-install.yaml`;
}

/**
 * The CRDs of the standard channel at v1.5 (the install file also holds the safe-upgrades
 * ValidatingAdmissionPolicy and its binding). The program uses Gateway and HTTPRoute.
 */
export const GATEWAY_API_STANDARD_CRDS = [
    "backendtlspolicies.gateway.networking.k8s.io",
    "gatewayclasses.gateway.networking.k8s.io",
    "gateways.gateway.networking.k8s.io",
    "grpcroutes.gateway.networking.k8s.io",
    "httproutes.gateway.networking.k8s.io",
    "listenersets.gateway.networking.k8s.io",
    "referencegrants.gateway.networking.k8s.io",
    "tlsroutes.gateway.networking.k8s.io",
] as const;

/** The annotation every Gateway API CRD carries with its release, e.g. `v1.5.1`. */
export const GATEWAY_API_BUNDLE_VERSION_ANNOTATION = "gateway.networking.k8s.io/bundle-version";

/** The oldest Gateway API release Istio 1.30 works with. */
export const GATEWAY_API_MIN_VERSION = "v1.5.0";

/**
 * Checks the release of CRDs a cluster already has (from their bundle-version annotation).
 *
 * @returns a problem naming the CRD, what it has and what is needed, or undefined when it fits.
 */
export function gatewayApiBundleProblem(
    crd: string,
    bundleVersion: string | undefined,
): string | undefined {
    const parse = (v: string) => /^v(\d+)\.(\d+)\.(\d+)/.exec(v)?.slice(1).map(Number);
    const have = bundleVersion === undefined ? undefined : parse(bundleVersion);
    const need = parse(GATEWAY_API_MIN_VERSION)!;
    const older =
        have !== undefined &&
        (have[0] !== need[0]
            ? have[0] < need[0]
            : have[1] !== need[1]
              ? have[1] < need[1]
              : have[2] < need[2]);
    if (have === undefined || older) {
        return (
            `CRD ${crd} has ${GATEWAY_API_BUNDLE_VERSION_ANNOTATION} ${JSON.stringify(bundleVersion ?? null)}: ` +
            `Istio 1.30 needs the Gateway API ${GATEWAY_API_MIN_VERSION} or newer (set gatewayApiCrds install on a cluster without them)`
        );
    }
    return undefined;
}

/** The namespace label that puts a namespace's pods in the ambient mesh. */
export const AMBIENT_LABEL = { "istio.io/dataplane-mode": "ambient" } as const;

/** The namespace label that turns on Istio's sidecar injection. */
export const INJECTION_LABEL = { "istio-injection": "enabled" } as const;

/** Istio's default name for a namespace's waypoint (what `istioctl waypoint apply` creates). */
export const WAYPOINT_NAME = "waypoint";

/** The label that sends a namespace's (or a service's) traffic through a waypoint. */
export const USE_WAYPOINT_LABEL = "istio.io/use-waypoint";

/** The label that says which traffic a waypoint handles: traffic addressed to services. */
export const WAYPOINT_FOR_LABEL = { "istio.io/waypoint-for": "service" } as const;

/** The gateway class of Istio's waypoints, and its HBONE listener. */
export const WAYPOINT_CLASS = "istio-waypoint";
export const HBONE_PORT = 15008;

/**
 * The pod-template annotation of the app's workloads in ambient mode: pods join or leave the
 * sidecar mesh only when they start, so a switch of data plane must roll them.
 */
export const AMBIENT_DATAPLANE_ANNOTATION = "istio-eks/dataplane";

/** The data plane a namespace's labels put it in. */
export function dataplaneOf(labels: Readonly<Record<string, string>>): Dataplane {
    return labels[Object.keys(AMBIENT_LABEL)[0]] === "ambient" ? "ambient" : "sidecar";
}

/** The namespace labels of each data plane, the waypoint's included for ambient. */
export function namespaceLabels(dataplane: Dataplane): Record<string, string> {
    return dataplane === "ambient"
        ? { ...AMBIENT_LABEL, [USE_WAYPOINT_LABEL]: WAYPOINT_NAME }
        : { ...INJECTION_LABEL };
}

/** The spec of a namespace's waypoint: a Gateway of class istio-waypoint listening for HBONE. */
export function waypointSpec() {
    return {
        gatewayClassName: WAYPOINT_CLASS,
        listeners: [{ name: "mesh", port: HBONE_PORT, protocol: "HBONE" }],
    };
}
