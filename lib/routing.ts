/**
 * Routing decisions for Bookinfo, as typed data and pure functions.
 *
 * A routing mode is one entry in {@link ROUTING_MODES}; {@link routingPlan} turns a mode and the
 * app's services into the exact DestinationRule and VirtualService specs that ReviewsRouting
 * registers. Nothing here touches Pulumi, so every rule is testable as plain data.
 */

/** The pod label that DestinationRule subsets select on; every Bookinfo Deployment sets it. */
export const VERSION_LABEL = "version";

/** The version every Bookinfo service has; the "pinned" routes send traffic here. */
export const BASELINE_VERSION = "v1";

/** The header productpage forwards to reviews for a signed-in user. */
export const END_USER_HEADER = "end-user";

/** Where the reviews service sends traffic in one routing mode. */
export interface ReviewsRoute {
    /** Signed-in users (matched exactly on the `end-user` header) and the subset each sees. */
    readonly byUser?: Readonly<Record<string, string>>;
    /** The subset everybody else sees. */
    readonly otherwise: string;
}

/** One routing mode: what it does, for the README and error messages, and its reviews route. */
export interface RoutingModeDefinition {
    /** What a reader of the product page sees in this mode. */
    readonly summary: string;
    /**
     * The reviews route; absent means no VirtualService for reviews, so requests spread over
     * every reviews pod as a plain Kubernetes Service does.
     */
    readonly reviews?: ReviewsRoute;
}

/** Every routing mode, by the name used in the stack setting `routing`. */
export const ROUTING_MODES = {
    "round-robin": {
        summary:
            "No reviews VirtualService: requests spread over reviews v1, v2 and v3 (no stars, black stars, red stars).",
    },
    "all-v1": {
        summary: "Every service pinned to v1: reviews never show stars.",
        reviews: { otherwise: "v1" },
    },
    "jason-v2": {
        summary: "As all-v1, but a user signed in as jason gets reviews v2 (black stars).",
        reviews: { byUser: { jason: "v2" }, otherwise: "v1" },
    },
} as const satisfies Record<string, RoutingModeDefinition>;

/** The name of a routing mode. */
export type RoutingMode = keyof typeof ROUTING_MODES;

/** The routing mode of a stack that does not set `routing`. */
export const DEFAULT_ROUTING_MODE: RoutingMode = "round-robin";

/** The names of all routing modes, in declaration order. */
export const ROUTING_MODE_NAMES = Object.keys(ROUTING_MODES) as RoutingMode[];

/** True when `value` names a routing mode. */
export function isRoutingMode(value: string): value is RoutingMode {
    return Object.prototype.hasOwnProperty.call(ROUTING_MODES, value);
}

/** The app's services and the versions each one runs, e.g. `{ reviews: ["v1", "v2", "v3"] }`. */
export type ServiceVersions = Readonly<Record<string, readonly string[]>>;

/** The spec of an Istio `networking.istio.io/v1` DestinationRule. */
export interface DestinationRuleSpec {
    host: string;
    subsets: { name: string; labels: Record<string, string> }[];
}

interface HttpRouteDestination {
    destination: { host: string; subset: string };
}

/** One HTTP route of an Istio VirtualService. */
export interface HttpRoute {
    match?: { headers: Record<string, { exact: string }> }[];
    route: HttpRouteDestination[];
}

/** The spec of an Istio `networking.istio.io/v1` VirtualService for one mesh service. */
export interface VirtualServiceSpec {
    hosts: string[];
    http: HttpRoute[];
}

/** A named routing object: `name` is both the Kubernetes object name and the service host. */
export interface RoutingObject<TSpec> {
    readonly name: string;
    readonly spec: TSpec;
}

/** Everything ReviewsRouting registers for one mode. */
export interface RoutingPlan {
    readonly destinationRules: RoutingObject<DestinationRuleSpec>[];
    readonly virtualServices: RoutingObject<VirtualServiceSpec>[];
}

/** A DestinationRule with one subset per version, each selecting pods by the version label. */
export function destinationRuleSpec(
    host: string,
    versions: readonly string[],
): DestinationRuleSpec {
    return {
        host,
        subsets: versions.map((v) => ({ name: v, labels: { [VERSION_LABEL]: v } })),
    };
}

function routeTo(host: string, subset: string): HttpRouteDestination[] {
    return [{ destination: { host, subset } }];
}

/** A VirtualService sending every request for `host` to one subset. */
export function pinnedVirtualServiceSpec(host: string, subset: string): VirtualServiceSpec {
    return { hosts: [host], http: [{ route: routeTo(host, subset) }] };
}

/** The reviews VirtualService for a route: one match per signed-in user, then everybody else. */
export function reviewsVirtualServiceSpec(host: string, route: ReviewsRoute): VirtualServiceSpec {
    const userRoutes: HttpRoute[] = Object.entries(route.byUser ?? {}).map(([user, subset]) => ({
        match: [{ headers: { [END_USER_HEADER]: { exact: user } } }],
        route: routeTo(host, subset),
    }));
    return { hosts: [host], http: [...userRoutes, { route: routeTo(host, route.otherwise) }] };
}

/** The service whose routing the modes change. */
export const REVIEWS_SERVICE = "reviews";

/**
 * The routing objects for a mode: a DestinationRule for every service (subsets from the versions
 * it runs), a VirtualService pinning every other service to v1, and the reviews VirtualService
 * the mode asks for. Services other than reviews are pinned in every mode, so a switch of mode
 * changes, creates or deletes the reviews VirtualService only.
 *
 * @throws Error when a route names a subset the service does not run.
 */
export function routingPlan(mode: RoutingMode, services: ServiceVersions): RoutingPlan {
    const definition: RoutingModeDefinition = ROUTING_MODES[mode];
    const names = Object.keys(services).sort();
    const destinationRules = names.map((name) => ({
        name,
        spec: destinationRuleSpec(name, services[name]),
    }));
    const virtualServices: RoutingObject<VirtualServiceSpec>[] = [];
    for (const name of names) {
        if (name !== REVIEWS_SERVICE) {
            virtualServices.push({ name, spec: pinnedVirtualServiceSpec(name, BASELINE_VERSION) });
        } else if (definition.reviews) {
            virtualServices.push({
                name,
                spec: reviewsVirtualServiceSpec(name, definition.reviews),
            });
        }
    }
    for (const vs of virtualServices) {
        const known = services[vs.name];
        for (const http of vs.spec.http) {
            for (const { destination } of http.route) {
                if (!known.includes(destination.subset)) {
                    throw new Error(
                        `routing mode "${mode}" sends ${vs.name} traffic to subset "${destination.subset}", ` +
                            `but ${vs.name} runs only ${known.join(", ")}`,
                    );
                }
            }
        }
    }
    return { destinationRules, virtualServices };
}
