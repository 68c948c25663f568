/**
 * Routing decisions for Bookinfo, as typed data and pure functions.
 *
 * A routing mode is one entry in {@link ROUTING_MODES}; {@link routingPlan} turns a mode, the
 * traffic options (faults, timeout, mutual TLS) and the app's services into the exact
 * DestinationRule, VirtualService and PeerAuthentication specs that ReviewsRouting registers,
 * and {@link expectedShares} into what each user should see. Nothing here touches Pulumi, so
 * every rule is testable as plain data.
 */

/** The pod label that DestinationRule subsets select on; every Bookinfo Deployment sets it. */
export const VERSION_LABEL = "version";

/** The version every Bookinfo service has; the "pinned" routes send traffic here. */
export const BASELINE_VERSION = "v1";

/** The header productpage forwards to reviews for a signed-in user. */
export const END_USER_HEADER = "end-user";

/** The service whose routing the modes change. */
export const REVIEWS_SERVICE = "reviews";

/** The service the fault options act on. */
export const RATINGS_SERVICE = "ratings";

/** The user Istio's tasks single out (sign in as jason, any password). */
export const TEST_USER = "jason";

/** A share of traffic for one subset; the weights of a route add up to 100. */
export interface WeightedSubset {
    readonly subset: string;
    readonly weight: number;
}

/** Where the reviews service sends traffic in one routing mode. */
export interface ReviewsRoute {
    /** Signed-in users (matched exactly on the `end-user` header) and the subset each sees. */
    readonly byUser?: Readonly<Record<string, string>>;
    /** What everybody else sees: one subset, or subsets by weight. */
    readonly otherwise: string | readonly WeightedSubset[];
}

/** Settings a mode may take from the stack. */
export interface ModeParameters {
    /** Percent of reviews traffic the canary (v3) gets in mode `canary`, 0 to 100. */
    readonly canaryWeight: number;
}

/** One routing mode: what it does (README, error messages) and its reviews route. */
export interface RoutingModeDefinition {
    /** What a reader of the product page sees in this mode. */
    readonly summary: string;
    /**
     * The reviews route, fixed or computed from the stack's parameters. Absent: no subset
     * routing for reviews, so requests spread over every reviews pod as a plain Service does.
     */
    readonly reviews?: ReviewsRoute | ((parameters: ModeParameters) => ReviewsRoute);
}

/**
 * Every routing mode, by the name used in the stack setting `routing`. Adding a mode is adding
 * an entry here (and its row in the README's table, which a test compares).
 */
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
    "v3-50": {
        summary: "Reviews split by weight: half v1 (no stars), half v3 (red stars), for everybody.",
        reviews: {
            otherwise: [
                { subset: "v1", weight: 50 },
                { subset: "v3", weight: 50 },
            ],
        },
    },
    "all-v3": {
        summary: "Reviews all v3: red stars for everybody.",
        reviews: { otherwise: "v3" },
    },
    "jason-v2-else-v3": {
        summary: "jason gets reviews v2 (black stars), everybody else v3 (red stars).",
        reviews: { byUser: { jason: "v2" }, otherwise: "v3" },
    },
    canary: {
        summary:
            "Reviews v1 with a canary share for v3 (red stars) of canaryWeight percent, for everybody.",
        reviews: ({ canaryWeight }: ModeParameters) => ({
            otherwise: [
                { subset: "v1", weight: 100 - canaryWeight },
                { subset: "v3", weight: canaryWeight },
            ],
        }),
    },
} as const satisfies Record<string, RoutingModeDefinition>;

/**
 * The routing modes by an identifier, for the enums of other languages' SDKs (the package
 * schema takes its members from here); the values are the modes' names. TypeScript callers
 * write the names: `"jason-v2"`.
 */
export const RoutingMode = {
    /** No reviews VirtualService: requests spread over reviews v1, v2 and v3. */
    RoundRobin: "round-robin",
    /** Every service pinned to v1: reviews never show stars. */
    AllV1: "all-v1",
    /** As all-v1, but the test user jason gets reviews v2 (black stars). */
    JasonV2: "jason-v2",
    /** Reviews split by weight: half v1, half v3 (red stars). */
    V3Fifty: "v3-50",
    /** Reviews all v3: red stars for everybody. */
    AllV3: "all-v3",
    /** jason gets reviews v2, everybody else v3. */
    JasonV2ElseV3: "jason-v2-else-v3",
    /** Reviews v1 with a canary share for v3 of canaryWeight percent. */
    Canary: "canary",
} as const; // A plain `as const`, which the schema inference reads; a test checks it against ROUTING_MODES.

/** The name of a routing mode, e.g. `"jason-v2"`. */
export type RoutingMode = keyof typeof ROUTING_MODES;

/** The routing mode of a stack that does not set `routing`. */
export const DEFAULT_ROUTING_MODE: RoutingMode = "round-robin";

/** The names of all routing modes, in declaration order. */
export const ROUTING_MODE_NAMES = Object.keys(ROUTING_MODES) as RoutingMode[];

/** True when `value` names a routing mode. */
export function isRoutingMode(value: string): value is RoutingMode {
    return Object.prototype.hasOwnProperty.call(ROUTING_MODES, value);
}

/** A fault injected into ratings for the test user, as in Istio's fault-injection task. */
export type RatingsFault =
    | { readonly kind: "none" }
    /** Every request of the test user waits `fixedDelay` (an Istio duration, e.g. "7s"). */
    | { readonly kind: "delay"; readonly fixedDelay: string }
    /** Every request of the test user fails with `httpStatus`. */
    | { readonly kind: "abort"; readonly httpStatus: number };

/** Mutual TLS in the app's namespace. */
export const MtlsMode = {
    /** Sidecars accept plain-text traffic and mutual TLS alike. */
    Permissive: "permissive",
    /** Sidecars refuse plain-text traffic; DestinationRules use Istio's mutual TLS. */
    Strict: "strict",
} as const;
export type MtlsMode = (typeof MtlsMode)[keyof typeof MtlsMode];

/** The kinds of fault ratings can inject for the test user. */
export const RatingsFaultKind = {
    /** No fault. */
    None: "none",
    /** Every request of the test user waits `fixedDelay`. */
    Delay: "delay",
    /** Every request of the test user fails with `httpStatus`. */
    Abort: "abort",
} as const;
export type RatingsFaultKind = (typeof RatingsFaultKind)[keyof typeof RatingsFaultKind];

/**
 * A fault for the test user's requests to ratings, as a component argument: the kind, and the
 * field that kind needs. Every `RatingsFault` is one; `ratingsFaultOf` checks the fields.
 */
export interface RatingsFaultSpec {
    /** `none`, `delay` or `abort`. */
    kind: RatingsFaultKind;
    /** With `delay`: how long each request waits, as an Istio duration (e.g. `"7s"`). */
    fixedDelay?: string;
    /** With `abort`: the HTTP status each request fails with (400 to 599). */
    httpStatus?: number;
}

/**
 * The fault a spec describes.
 *
 * @throws Error naming the field, when the kind is unknown, lacks its field or carries another kind's.
 */
export function ratingsFaultOf(spec: RatingsFaultSpec): RatingsFault {
    const kinds = Object.values(RatingsFaultKind) as string[];
    if (!kinds.includes(spec.kind)) {
        throw new Error(`ratingsFault kind "${spec.kind}": expected one of ${kinds.join(", ")}`);
    }
    const fields = { delay: "fixedDelay", abort: "httpStatus" } as const;
    for (const [kind, field] of Object.entries(fields)) {
        if (kind !== spec.kind && spec[field] !== undefined) {
            throw new Error(`ratingsFault ${field} is for kind ${kind}, not ${spec.kind}`);
        }
    }
    switch (spec.kind) {
        case "none":
            return { kind: "none" };
        case "delay":
            if (spec.fixedDelay === undefined) {
                throw new Error("ratingsFault delay needs fixedDelay, an Istio duration (e.g. 7s)");
            }
            return { kind: "delay", fixedDelay: spec.fixedDelay };
        case "abort":
            if (spec.httpStatus === undefined) {
                throw new Error("ratingsFault abort needs httpStatus, an HTTP status (400 to 599)");
            }
            return { kind: "abort", httpStatus: spec.httpStatus };
    }
}

/** Everything that shapes the routing objects besides the app's services. */
export interface TrafficOptions extends ModeParameters {
    /** The routing mode. */
    readonly mode: RoutingMode;
    /** The fault for the test user's requests to ratings (`{ kind: "none" }` for none). */
    readonly ratingsFault: RatingsFault;
    /** A request timeout for reviews (an Istio duration, e.g. "0.5s"), or none. */
    readonly reviewsTimeout?: string;
    /** Mutual TLS in the app's namespace. */
    readonly mtls: MtlsMode;
}

/** The options of a stack that sets nothing but (maybe) the mode. */
export function defaultTrafficOptions(mode: RoutingMode = DEFAULT_ROUTING_MODE): TrafficOptions {
    return { mode, canaryWeight: 10, ratingsFault: { kind: "none" }, mtls: "permissive" };
}

/** The traffic arguments of a routing component, each optional but the mode. */
export interface TrafficArgs {
    readonly mode: RoutingMode;
    readonly canaryWeight?: number;
    readonly ratingsFault?: RatingsFaultSpec;
    readonly reviewsTimeout?: string;
    readonly mtls?: MtlsMode;
}

/**
 * The options a routing component's arguments ask for, the mode's defaults filling in the rest.
 *
 * @throws Error from {@link ratingsFaultOf} when the fault spec is malformed.
 */
export function trafficOptionsOf(args: TrafficArgs): TrafficOptions {
    const defaults = defaultTrafficOptions(args.mode);
    return {
        mode: args.mode,
        canaryWeight: args.canaryWeight ?? defaults.canaryWeight,
        ratingsFault:
            args.ratingsFault === undefined
                ? defaults.ratingsFault
                : ratingsFaultOf(args.ratingsFault),
        ...(args.reviewsTimeout === undefined ? {} : { reviewsTimeout: args.reviewsTimeout }),
        mtls: args.mtls ?? defaults.mtls,
    };
}

/** The app's services and the versions each one runs, e.g. `{ reviews: ["v1", "v2", "v3"] }`. */
export type ServiceVersions = Readonly<Record<string, readonly string[]>>;

/** The spec of an Istio `networking.istio.io/v1` DestinationRule. */
export interface DestinationRuleSpec {
    host: string;
    trafficPolicy?: { tls: { mode: "ISTIO_MUTUAL" } };
    subsets: { name: string; labels: Record<string, string> }[];
}

/** One destination of an HTTP route; no subset means any pod of the host. */
export interface HttpRouteDestination {
    destination: { host: string; subset?: string };
    weight?: number;
}

/** A fault of an HTTP route. */
export type HttpFault =
    | { delay: { percentage: { value: number }; fixedDelay: string } }
    | { abort: { percentage: { value: number }; httpStatus: number } };

/** One HTTP route of an Istio VirtualService. */
export interface HttpRoute {
    match?: { headers: Record<string, { exact: string }> }[];
    fault?: HttpFault;
    route: HttpRouteDestination[];
    timeout?: string;
}

/** The spec of an Istio `networking.istio.io/v1` VirtualService for one mesh service. */
export interface VirtualServiceSpec {
    hosts: string[];
    http: HttpRoute[];
}

/** The spec of an Istio `security.istio.io/v1` PeerAuthentication for a whole namespace. */
export interface PeerAuthenticationSpec {
    mtls: { mode: "PERMISSIVE" | "STRICT" };
}

/** A named routing object: `name` is both the Kubernetes object name and the service host. */
export interface RoutingObject<TSpec> {
    readonly name: string;
    readonly spec: TSpec;
}

/** The name of the namespace-wide PeerAuthentication (Istio's convention). */
export const PEER_AUTHENTICATION_NAME = "default";

/** Everything ReviewsRouting registers for one set of options. */
export interface RoutingPlan {
    /** A DestinationRule per service, with a subset per version. */
    readonly destinationRules: RoutingObject<DestinationRuleSpec>[];
    /** The VirtualServices the mode and options call for, by service. */
    readonly virtualServices: RoutingObject<VirtualServiceSpec>[];
    /** The namespace-wide PeerAuthentication of the mutual TLS mode. */
    readonly peerAuthentication: RoutingObject<PeerAuthenticationSpec>;
}

/** The reviews route of a mode with the stack's parameters, or undefined for none. */
export function reviewsRouteOf(
    mode: RoutingMode,
    parameters: ModeParameters,
): ReviewsRoute | undefined {
    const reviews = (ROUTING_MODES[mode] as RoutingModeDefinition).reviews;
    return typeof reviews === "function" ? reviews(parameters) : reviews;
}

/** A DestinationRule with one subset per version, each selecting pods by the version label. */
export function destinationRuleSpec(
    host: string,
    versions: readonly string[],
    mtls: MtlsMode = "permissive",
): DestinationRuleSpec {
    return {
        host,
        // In strict mode the client side must speak Istio's mutual TLS too.
        ...(mtls === "strict" ? { trafficPolicy: { tls: { mode: "ISTIO_MUTUAL" as const } } } : {}),
        subsets: versions.map((v) => ({ name: v, labels: { [VERSION_LABEL]: v } })),
    };
}

function routeTo(host: string, target: string | readonly WeightedSubset[]): HttpRouteDestination[] {
    if (typeof target === "string") {
        return [{ destination: { host, subset: target } }];
    }
    const total = target.reduce((sum, t) => sum + t.weight, 0);
    if (target.some((t) => !Number.isInteger(t.weight) || t.weight < 0) || total !== 100) {
        throw new Error(
            `${host} weights ${target.map((t) => `${t.subset}=${t.weight}`).join(", ")}: ` +
                "expected whole numbers from 0 to 100 that add up to 100",
        );
    }
    // A zero share is no destination at all; a lone destination needs no weight.
    const shares = target.filter((t) => t.weight > 0);
    if (shares.length === 1) {
        return [{ destination: { host, subset: shares[0].subset } }];
    }
    return shares.map((t) => ({ destination: { host, subset: t.subset }, weight: t.weight }));
}

function userMatch(user: string) {
    return [{ headers: { [END_USER_HEADER]: { exact: user } } }];
}

/** A VirtualService sending every request for `host` to one subset. */
export function pinnedVirtualServiceSpec(host: string, subset: string): VirtualServiceSpec {
    return { hosts: [host], http: [{ route: routeTo(host, subset) }] };
}

/**
 * The reviews VirtualService: one match per signed-in user, then everybody else; with no route,
 * any reviews pod (so that a timeout can apply in round-robin too). Every route gets the timeout.
 */
export function reviewsVirtualServiceSpec(
    host: string,
    route: ReviewsRoute | undefined,
    timeout?: string,
): VirtualServiceSpec {
    const withTimeout = (r: HttpRoute): HttpRoute =>
        timeout === undefined ? r : { ...r, timeout };
    if (route === undefined) {
        return { hosts: [host], http: [withTimeout({ route: [{ destination: { host } }] })] };
    }
    const userRoutes: HttpRoute[] = Object.entries(route.byUser ?? {}).map(([user, subset]) =>
        withTimeout({ match: userMatch(user), route: routeTo(host, subset) }),
    );
    return {
        hosts: [host],
        http: [...userRoutes, withTimeout({ route: routeTo(host, route.otherwise) })],
    };
}

/** The ratings VirtualService: pinned to v1, with the test user's requests faulted if asked. */
export function ratingsVirtualServiceSpec(host: string, fault: RatingsFault): VirtualServiceSpec {
    const pinned = pinnedVirtualServiceSpec(host, BASELINE_VERSION);
    if (fault.kind === "none") {
        return pinned;
    }
    const all = { value: 100 };
    const httpFault: HttpFault =
        fault.kind === "delay"
            ? { delay: { percentage: all, fixedDelay: fault.fixedDelay } }
            : { abort: { percentage: all, httpStatus: fault.httpStatus } };
    return {
        hosts: [host],
        http: [
            {
                match: userMatch(TEST_USER),
                fault: httpFault,
                route: routeTo(host, BASELINE_VERSION),
            },
            ...pinned.http,
        ],
    };
}

/** The HTTP statuses an abort fault may return: errors only. */
export const ABORT_STATUS_RANGE = { min: 400, max: 599 } as const;

/**
 * Checks options that do not come through the stack's validated settings (the components used
 * as a library), so that Istio's webhook never is the first to complain.
 *
 * @throws Error naming the option, its value and what is allowed.
 */
export function checkTrafficOptions(options: TrafficOptions): void {
    const problems: string[] = [];
    if (!isRoutingMode(options.mode)) {
        problems.push(`mode "${options.mode}": expected one of ${ROUTING_MODE_NAMES.join(" | ")}`);
    }
    const duration = (what: string, text: string) => {
        if (!isIstioDuration(text)) {
            problems.push(
                `${what} "${text}": expected an Istio duration of at least 1ms, e.g. "0.5s"`,
            );
        }
    };
    if (options.reviewsTimeout !== undefined) {
        duration("reviewsTimeout", options.reviewsTimeout);
    }
    const fault = options.ratingsFault;
    if (fault.kind === "delay") {
        duration("ratingsFault delay", fault.fixedDelay);
    } else if (
        fault.kind === "abort" &&
        !(
            Number.isInteger(fault.httpStatus) &&
            fault.httpStatus >= ABORT_STATUS_RANGE.min &&
            fault.httpStatus <= ABORT_STATUS_RANGE.max
        )
    ) {
        problems.push(
            `ratingsFault abort status ${fault.httpStatus}: expected an HTTP error status from ` +
                `${ABORT_STATUS_RANGE.min} to ${ABORT_STATUS_RANGE.max}`,
        );
    }
    if (problems.length > 0) {
        throw new Error(`Invalid traffic options: ${problems.join("; ")}`);
    }
}

/**
 * The routing objects for a set of options: a DestinationRule for every service (subsets from
 * the versions it runs), a VirtualService pinning every other service to v1 (ratings with the
 * fault, if any), the reviews VirtualService the mode and timeout ask for, and the namespace's
 * PeerAuthentication. Object names never depend on the options, so a change of mode or option
 * updates, creates or deletes routing objects only.
 *
 * @throws Error when a route names a subset the service does not run.
 */
export function routingPlan(
    services: ServiceVersions,
    options: TrafficOptions = defaultTrafficOptions(),
): RoutingPlan {
    checkTrafficOptions(options);
    const names = Object.keys(services).sort();
    const destinationRules = names.map((name) => ({
        name,
        spec: destinationRuleSpec(name, services[name], options.mtls),
    }));
    const reviewsRoute = reviewsRouteOf(options.mode, options);
    const virtualServices: RoutingObject<VirtualServiceSpec>[] = [];
    for (const name of names) {
        if (name === REVIEWS_SERVICE) {
            if (reviewsRoute !== undefined || options.reviewsTimeout !== undefined) {
                virtualServices.push({
                    name,
                    spec: reviewsVirtualServiceSpec(name, reviewsRoute, options.reviewsTimeout),
                });
            }
        } else if (name === RATINGS_SERVICE) {
            virtualServices.push({
                name,
                spec: ratingsVirtualServiceSpec(name, options.ratingsFault),
            });
        } else {
            virtualServices.push({ name, spec: pinnedVirtualServiceSpec(name, BASELINE_VERSION) });
        }
    }
    for (const vs of virtualServices) {
        const known = services[vs.name];
        for (const http of vs.spec.http) {
            for (const { destination } of http.route) {
                if (destination.subset !== undefined && !known.includes(destination.subset)) {
                    throw new Error(
                        `routing mode "${options.mode}" sends ${vs.name} traffic to subset "${destination.subset}", ` +
                            `but ${vs.name} runs only ${known.join(", ")}`,
                    );
                }
            }
        }
    }
    return {
        destinationRules,
        virtualServices,
        peerAuthentication: {
            name: PEER_AUTHENTICATION_NAME,
            spec: { mtls: { mode: options.mtls === "strict" ? "STRICT" : "PERMISSIVE" } },
        },
    };
}

/** Who reads the product page: nobody signed in, or the test user. */
export const READERS = ["anonymous", TEST_USER] as const;
export type Reader = (typeof READERS)[number];

/** What one product page shows: a reviews version, or an error in place of the reviews. */
export const ERROR_OUTCOME = "error";

/**
 * For each reader, the share (0 to 1) of product pages with each outcome: a reviews version, or
 * "error". (An interface, not a Record over READERS, so that a package schema can name it.)
 */
export interface ExpectedShares {
    /** What a reader who is not signed in sees, e.g. `{ v1: 1 }`. */
    anonymous: Record<string, number>;
    /** What the test user jason sees. */
    jason: Record<string, number>;
}

/**
 * The reviews version that never calls ratings, and so shows no rating stars at all (v2 shows
 * black stars, v3 red). verify reads a page without stars as this version.
 */
export const NO_STARS_VERSION = "v1";

/** Whether a reviews version calls ratings (and so fails with it): every one but v1. */
export function callsRatings(version: string): boolean {
    return version !== NO_STARS_VERSION;
}

/** How long productpage waits for reviews before it shows "Error fetching product reviews". */
export const PRODUCTPAGE_REVIEWS_TIMEOUT_MS = 3000;

/**
 * The milliseconds of an Istio duration (`<number><h|m|s|ms>`, e.g. "0.5s", "7s", "100ms"), or
 * undefined when the text is not one.
 */
export function istioDurationMs(text: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?)(h|ms|m|s)$/.exec(text);
    if (m === null) {
        return undefined;
    }
    const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 }[m[2] as "h" | "m" | "s" | "ms"];
    return Number(m[1]) * unit;
}

/** True for an Istio duration Istio accepts for timeouts and delays: at least 1ms. */
export function isIstioDuration(text: string): boolean {
    return (istioDurationMs(text) ?? 0) >= 1;
}

/**
 * Whether the test user's pages fail when their reviews version calls ratings: always with an
 * abort; with a delay, when reviews is given up on first (productpage's own 3 s, or a shorter
 * reviewsTimeout).
 */
function ratingsFaultFailsPages(options: TrafficOptions): boolean {
    const fault = options.ratingsFault;
    if (fault.kind === "abort") {
        return true;
    }
    if (fault.kind === "none") {
        return false;
    }
    const timeout = Math.min(
        PRODUCTPAGE_REVIEWS_TIMEOUT_MS,
        istioDurationMs(options.reviewsTimeout ?? "") ?? Infinity,
    );
    return (istioDurationMs(fault.fixedDelay) ?? 0) >= timeout;
}

/**
 * What each reader should see: the share of product pages with each reviews version, and with
 * an error where a ratings fault breaks the test user's pages. With no reviews route, requests
 * spread evenly over all versions.
 */
export function expectedShares(
    options: TrafficOptions,
    reviewsVersions: readonly string[],
): ExpectedShares {
    const route = reviewsRouteOf(options.mode, options);
    const shares = (reader: Reader): Record<string, number> => {
        const result: Record<string, number> = Object.fromEntries(
            [...reviewsVersions, ERROR_OUTCOME].map((v) => [v, 0]),
        );
        const user = reader === "anonymous" ? undefined : reader;
        const target =
            route === undefined
                ? undefined
                : user !== undefined && route.byUser?.[user] !== undefined
                  ? route.byUser[user]
                  : route.otherwise;
        const portions =
            target === undefined
                ? reviewsVersions.map((v) => ({ subset: v, share: 1 / reviewsVersions.length }))
                : typeof target === "string"
                  ? [{ subset: target, share: 1 }]
                  : target.map((t) => ({ subset: t.subset, share: t.weight / 100 }));
        const faulted = user === TEST_USER && ratingsFaultFailsPages(options);
        for (const { subset, share } of portions) {
            const outcome = faulted && callsRatings(subset) ? ERROR_OUTCOME : subset;
            result[outcome] += share;
        }
        return result;
    };
    return { anonymous: shares("anonymous"), jason: shares(TEST_USER) };
}
