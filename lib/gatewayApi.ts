/**
 * Routing decisions for Bookinfo in the Kubernetes Gateway API, as typed data and pure functions:
 * the sibling of {@link routingPlan} for `trafficApi: gateway-api`.
 *
 * The modes are the same {@link ROUTING_MODES}, and what readers see is the same
 * {@link expectedShares}; only the objects differ. Where Istio routes to DestinationRule subsets,
 * the Gateway API routes to a Service per version (`reviews-v2`, as Istio's
 * `bookinfo-versions.yaml` defines them), from HTTPRoutes whose parent is the service they route
 * (GAMMA). The Gateway API has no fault injection, so a ratings fault stays a VirtualService, as
 * Istio's fault-injection task keeps it, and that service then has no HTTPRoute: Istio does not
 * support both kinds of route for one service.
 */
import { BookinfoModel, ManifestObject } from "./manifests";
import {
    BASELINE_VERSION,
    checkTrafficOptions,
    defaultTrafficOptions,
    END_USER_HEADER,
    istioDurationMs,
    PEER_AUTHENTICATION_NAME,
    PeerAuthenticationSpec,
    RATINGS_SERVICE,
    ratingsVirtualServiceSpec,
    REVIEWS_SERVICE,
    reviewsRouteOf,
    RoutingObject,
    ServiceVersions,
    TrafficOptions,
    VirtualServiceSpec,
    WeightedSubset,
} from "./routing";

/** The API version of every Gateway API object the program writes. */
export const GATEWAY_API_VERSION_V1 = "gateway.networking.k8s.io/v1";

/** The name of the Service that selects one version of a service: `reviews-v2`. */
export function versionServiceName(service: string, version: string): string {
    return `${service}-${version}`;
}

/** A Service as an HTTPRoute's parent (GAMMA): routes for traffic addressed to it, on one port. */
export interface ServiceParentRef {
    group: "";
    kind: "Service";
    name: string;
    port: number;
}

/** A Gateway as an HTTPRoute's parent (ingress). */
export interface GatewayParentRef {
    name: string;
}

/** A Service an HTTPRoute sends traffic to, with its share when there are several. */
export interface BackendRef {
    name: string;
    port: number;
    weight?: number;
}

/** One match of an HTTPRoute rule: an exact header, or a path. */
export interface HttpRouteMatch {
    headers?: { type: "Exact"; name: string; value: string }[];
    path?: { type: "Exact" | "PathPrefix"; value: string };
}

/** One rule of an HTTPRoute. */
export interface HttpRouteRule {
    matches?: HttpRouteMatch[];
    backendRefs: BackendRef[];
    timeouts?: { request: string };
}

/** The spec of a `gateway.networking.k8s.io/v1` HTTPRoute. */
export interface HttpRouteSpec {
    /** What the route attaches to: a Service (mesh traffic to it) or a Gateway (ingress). */
    parentRefs: (ServiceParentRef | GatewayParentRef)[];
    /** Its rules: matches, backends and a timeout. */
    rules: HttpRouteRule[];
}

/** Everything the Gateway API routing registers for one set of options. */
export interface GatewayApiPlan {
    /** Service-parented HTTPRoutes by service name; reviews absent in round-robin without a timeout. */
    readonly httpRoutes: RoutingObject<HttpRouteSpec>[];
    /** What the Gateway API cannot express: ratings with a fault. Empty without one. */
    readonly virtualServices: RoutingObject<VirtualServiceSpec>[];
    /** The namespace-wide PeerAuthentication of `mtls`. */
    readonly peerAuthentication: RoutingObject<PeerAuthenticationSpec>;
}

/**
 * An Istio duration (`0.5s`, `7s`, `100ms`) as a Gateway API duration, which takes whole numbers
 * of at most five digits per unit (`500ms`, `7s`): the largest unit that divides it exactly.
 *
 * @throws Error when the duration is not whole milliseconds or does not fit.
 */
export function gatewayApiDuration(istioDuration: string): string {
    const ms = istioDurationMs(istioDuration);
    if (ms === undefined || !Number.isInteger(ms) || ms < 1) {
        throw new Error(
            `"${istioDuration}": the Gateway API takes whole milliseconds, e.g. "500ms" or "0.5s"`,
        );
    }
    for (const [unit, size] of [
        ["h", 3_600_000],
        ["m", 60_000],
        ["s", 1000],
        ["ms", 1],
    ] as const) {
        if (ms % size === 0 && ms / size <= 99_999) {
            return `${ms / size}${unit}`;
        }
    }
    throw new Error(`"${istioDuration}": too long for a Gateway API duration`);
}

/** True when an Istio duration has a Gateway API equivalent. */
export function isGatewayApiDuration(istioDuration: string): boolean {
    try {
        gatewayApiDuration(istioDuration);
        return true;
    } catch {
        return false;
    }
}

/** The parent of a service's mesh routes: the Service itself, on its port. */
export function serviceParent(service: string, port: number): ServiceParentRef {
    return { group: "", kind: "Service", name: service, port };
}

function backends(
    service: string,
    port: number,
    target: string | readonly WeightedSubset[],
): BackendRef[] {
    if (typeof target === "string") {
        return [{ name: versionServiceName(service, target), port }];
    }
    // Same rules as the VirtualService: whole weights adding up to 100, zero shares left out.
    const total = target.reduce((sum, t) => sum + t.weight, 0);
    if (target.some((t) => !Number.isInteger(t.weight) || t.weight < 0) || total !== 100) {
        throw new Error(
            `${service} weights ${target.map((t) => `${t.subset}=${t.weight}`).join(", ")}: ` +
                "expected whole numbers from 0 to 100 that add up to 100",
        );
    }
    const shares = target.filter((t) => t.weight > 0);
    if (shares.length === 1) {
        return [{ name: versionServiceName(service, shares[0].subset), port }];
    }
    return shares.map((t) => ({
        name: versionServiceName(service, t.subset),
        port,
        weight: t.weight,
    }));
}

/** An HTTPRoute sending every request for `service` to one version. */
export function pinnedHttpRouteSpec(service: string, port: number, version: string): HttpRouteSpec {
    return {
        parentRefs: [serviceParent(service, port)],
        rules: [{ backendRefs: backends(service, port, version) }],
    };
}

/**
 * The reviews HTTPRoute of a mode: a rule per signed-in user (exact `end-user` header), then one
 * for everybody else; with no route, the reviews Service itself (any pod), so that a timeout
 * applies in round-robin too. Every rule gets the timeout.
 */
export function reviewsHttpRouteSpec(
    service: string,
    port: number,
    options: TrafficOptions,
): HttpRouteSpec {
    const route = reviewsRouteOf(options.mode, options);
    const timeouts =
        options.reviewsTimeout === undefined
            ? {}
            : { timeouts: { request: gatewayApiDuration(options.reviewsTimeout) } };
    const rules: HttpRouteRule[] =
        route === undefined
            ? [{ backendRefs: [{ name: service, port }], ...timeouts }]
            : [
                  ...Object.entries(route.byUser ?? {}).map(([user, version]) => ({
                      matches: [
                          {
                              headers: [
                                  { type: "Exact" as const, name: END_USER_HEADER, value: user },
                              ],
                          },
                      ],
                      backendRefs: backends(service, port, version),
                      ...timeouts,
                  })),
                  { backendRefs: backends(service, port, route.otherwise), ...timeouts },
              ];
    return { parentRefs: [serviceParent(service, port)], rules };
}

/**
 * The ratings VirtualService with the fault, routing to the per-version Services (there are no
 * DestinationRule subsets in this model): the same routes as Istio's model, `ratings-v1` for
 * subset v1.
 */
export function ratingsFaultVirtualServiceSpec(
    service: string,
    options: TrafficOptions,
): VirtualServiceSpec {
    const spec = ratingsVirtualServiceSpec(service, options.ratingsFault);
    return {
        ...spec,
        http: spec.http.map((h) => ({
            ...h,
            route: h.route.map(({ destination, ...rest }) => ({
                ...rest,
                destination: {
                    host:
                        destination.subset === undefined
                            ? destination.host
                            : versionServiceName(destination.host, destination.subset),
                },
            })),
        })),
    };
}

/**
 * The Gateway API routing objects for a set of options: an HTTPRoute pinning every service but
 * reviews to v1 (ratings instead a VirtualService when faulted), the reviews HTTPRoute the mode
 * and timeout ask for, and the namespace's PeerAuthentication. Object names never depend on the
 * options, so a switch of mode changes the reviews HTTPRoute and nothing else.
 *
 * @param port The port every service serves HTTP on (Bookinfo's 9080).
 * @throws Error when a route names a version the service does not run, or a timeout the
 *   Gateway API cannot express.
 */
export function gatewayApiPlan(
    services: ServiceVersions,
    port: number,
    options: TrafficOptions = defaultTrafficOptions(),
): GatewayApiPlan {
    checkTrafficOptions(options);
    const httpRoutes: RoutingObject<HttpRouteSpec>[] = [];
    const virtualServices: RoutingObject<VirtualServiceSpec>[] = [];
    for (const name of Object.keys(services).sort()) {
        if (name === REVIEWS_SERVICE) {
            if (
                reviewsRouteOf(options.mode, options) !== undefined ||
                options.reviewsTimeout !== undefined
            ) {
                httpRoutes.push({ name, spec: reviewsHttpRouteSpec(name, port, options) });
            }
        } else if (name === RATINGS_SERVICE && options.ratingsFault.kind !== "none") {
            virtualServices.push({ name, spec: ratingsFaultVirtualServiceSpec(name, options) });
        } else {
            httpRoutes.push({ name, spec: pinnedHttpRouteSpec(name, port, BASELINE_VERSION) });
        }
    }
    const known = new Set(
        Object.entries(services).flatMap(([s, versions]) => [
            s,
            ...versions.map((v) => versionServiceName(s, v)),
        ]),
    );
    const targets = [
        ...httpRoutes.flatMap((r) =>
            r.spec.rules.flatMap((rule) => rule.backendRefs.map((b) => [r.name, b.name])),
        ),
        ...virtualServices.flatMap((vs) =>
            vs.spec.http.flatMap((h) => h.route.map((d) => [vs.name, d.destination.host])),
        ),
    ];
    for (const [route, target] of targets) {
        if (!known.has(target)) {
            throw new Error(
                `routing mode "${options.mode}" sends ${route} traffic to Service ${target}, ` +
                    `but ${route} runs only ${services[route].join(", ")}`,
            );
        }
    }
    return {
        httpRoutes,
        virtualServices,
        peerAuthentication: {
            name: PEER_AUTHENTICATION_NAME,
            spec: { mtls: { mode: options.mtls === "strict" ? "STRICT" : "PERMISSIVE" } },
        },
    };
}

/** The product page's paths, as Gateway API path matches. */
export function pathMatches(
    routes: readonly ({ exact: string } | { prefix: string })[],
): HttpRouteMatch[] {
    return routes.map((r) =>
        "exact" in r
            ? { path: { type: "Exact" as const, value: r.exact } }
            : { path: { type: "PathPrefix" as const, value: r.prefix } },
    );
}

/** A Service of the app manifest: what a per-version Service copies. */
interface ManifestService extends ManifestObject {
    spec: { ports: { name?: string; port: number }[]; selector: Record<string, string> };
}

/**
 * A Service per version of every app Service (`reviews-v1`, `reviews-v2`, ..., `details-v1`), as
 * Istio's `bookinfo-versions.yaml` defines them: the same ports, and the service's selector plus
 * the version label. Derived from the manifest, so a new version gets its Service by itself.
 */
export function versionServices(model: BookinfoModel, versionLabel: string): ManifestObject[] {
    const versions = model.serviceVersions(versionLabel);
    return model.ofKind<ManifestService>("v1/Service").flatMap((svc) =>
        (versions[svc.metadata.name] ?? []).map((version) => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: versionServiceName(svc.metadata.name, version) },
            spec: {
                ports: svc.spec.ports,
                selector: { ...svc.spec.selector, [versionLabel]: version },
            },
        })),
    );
}

/** The gateway class of Istio's own gateway controller: Istio deploys a gateway for each Gateway. */
export const ISTIO_GATEWAY_CLASS = "istio";

/** The Kubernetes provider's annotation that waits for a condition of a custom resource. */
export const WAIT_FOR_PROGRAMMED = { "pulumi.com/waitFor": "condition=Programmed" } as const;

/**
 * The Gateway annotation that sets the type of the Service Istio deploys for it (LoadBalancer
 * unless told). Istio reads it from the Gateway's own metadata.
 */
export const SERVICE_TYPE_ANNOTATION = "networking.istio.io/service-type";

/**
 * The name Istio gives the Deployment and Service it deploys for a Gateway: the Gateway's name
 * and its class, e.g. `bookinfo-gateway-istio`.
 */
export function deployedGatewayName(gateway: string, gatewayClass = ISTIO_GATEWAY_CLASS): string {
    return `${gateway}-${gatewayClass}`;
}

/**
 * The spec of the app's ingress Gateway: class istio, one HTTP listener for routes of its own
 * namespace, and the load balancer's annotations, which Istio copies to the Service it deploys.
 */
export function ingressGatewaySpec(port: number, serviceAnnotations: Record<string, string>) {
    return {
        gatewayClassName: ISTIO_GATEWAY_CLASS,
        ...(Object.keys(serviceAnnotations).length > 0
            ? { infrastructure: { annotations: serviceAnnotations } }
            : {}),
        listeners: [
            {
                name: "http",
                port,
                protocol: "HTTP",
                allowedRoutes: { namespaces: { from: "Same" } },
            },
        ],
    };
}

/** The HTTPRoute that sends the product page's paths from the Gateway to the productpage Service. */
export function productpageHttpRouteSpec(
    gateway: string,
    service: string,
    port: number,
    routes: readonly ({ exact: string } | { prefix: string })[],
): HttpRouteSpec {
    return {
        parentRefs: [{ name: gateway }],
        rules: [{ matches: pathMatches(routes), backendRefs: [{ name: service, port }] }],
    };
}
