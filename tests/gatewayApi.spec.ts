// The Gateway API routing plan and the traffic model as specifications: exact HTTPRoutes per
// mode, what the Gateway API cannot express, the refused combination, and the facts they rest on.
import * as assert from "assert/strict";

import {
    gatewayApiDuration,
    gatewayApiPlan,
    ingressGatewaySpec,
    isGatewayApiDuration,
    productpageHttpRouteSpec,
    versionServices,
} from "../lib/gatewayApi";
import { BookinfoModel } from "../lib/manifests";
import {
    defaultTrafficOptions,
    expectedShares,
    ROUTING_MODE_NAMES,
    RoutingMode,
    TrafficOptions,
    VERSION_LABEL,
} from "../lib/routing";
import {
    gatewayApiBundleProblem,
    gatewayApiCrdsUrl,
    namespaceLabels,
    unsupportedTrafficModel,
    waypointSpec,
} from "../lib/trafficModel";

const SERVICES = {
    details: ["v1"],
    productpage: ["v1"],
    ratings: ["v1"],
    reviews: ["v1", "v2", "v3"],
};
const PARENT = (name: string) => [{ group: "", kind: "Service", name, port: 9080 }];
const to = (name: string, weight?: number) => ({
    name,
    port: 9080,
    ...(weight === undefined ? {} : { weight }),
});
const JASON = [{ headers: [{ type: "Exact", name: "end-user", value: "jason" }] }];
const pinned = (service: string) => ({
    name: service,
    spec: { parentRefs: PARENT(service), rules: [{ backendRefs: [to(`${service}-v1`)] }] },
});
const PINNED = [pinned("details"), pinned("productpage"), pinned("ratings")];

const plan = (options: TrafficOptions) => gatewayApiPlan(SERVICES, 9080, options);
const modePlan = (mode: RoutingMode, extra: Partial<TrafficOptions> = {}) =>
    plan({ ...defaultTrafficOptions(mode), ...extra });
const reviewsRules = (mode: RoutingMode, extra: Partial<TrafficOptions> = {}) =>
    modePlan(mode, extra).httpRoutes.find((r) => r.name === "reviews")?.spec.rules;

describe("gatewayApiPlan", () => {
    it("round-robin: no reviews HTTPRoute, the other services pinned to their v1 Service", () => {
        assert.deepEqual(modePlan("round-robin"), {
            httpRoutes: PINNED,
            virtualServices: [],
            peerAuthentication: { name: "default", spec: { mtls: { mode: "PERMISSIVE" } } },
        });
    });

    const CASES: [RoutingMode, Partial<TrafficOptions>, unknown[]][] = [
        ["all-v1", {}, [{ backendRefs: [to("reviews-v1")] }]],
        [
            "jason-v2",
            {},
            [
                { matches: JASON, backendRefs: [to("reviews-v2")] },
                { backendRefs: [to("reviews-v1")] },
            ],
        ],
        ["v3-50", {}, [{ backendRefs: [to("reviews-v1", 50), to("reviews-v3", 50)] }]],
        ["all-v3", {}, [{ backendRefs: [to("reviews-v3")] }]],
        [
            "jason-v2-else-v3",
            {},
            [
                { matches: JASON, backendRefs: [to("reviews-v2")] },
                { backendRefs: [to("reviews-v3")] },
            ],
        ],
        ["canary", {}, [{ backendRefs: [to("reviews-v1", 90), to("reviews-v3", 10)] }]],
        [
            "canary",
            { canaryWeight: 25 },
            [{ backendRefs: [to("reviews-v1", 75), to("reviews-v3", 25)] }],
        ],
        // A zero share is no backend; a lone backend carries no weight.
        ["canary", { canaryWeight: 0 }, [{ backendRefs: [to("reviews-v1")] }]],
        ["canary", { canaryWeight: 100 }, [{ backendRefs: [to("reviews-v3")] }]],
        // A timeout in round-robin needs a route: one to the reviews Service itself, any pod.
        [
            "round-robin",
            { reviewsTimeout: "0.5s" },
            [{ backendRefs: [to("reviews")], timeouts: { request: "500ms" } }],
        ],
        [
            "jason-v2",
            { reviewsTimeout: "1s" },
            [
                { matches: JASON, backendRefs: [to("reviews-v2")], timeouts: { request: "1s" } },
                { backendRefs: [to("reviews-v1")], timeouts: { request: "1s" } },
            ],
        ],
    ];
    for (const [mode, extra, rules] of CASES) {
        it(`${mode} ${JSON.stringify(extra)}: the reviews HTTPRoute, parented by the reviews Service`, () => {
            const p = modePlan(mode, extra);
            assert.deepEqual(p.httpRoutes, [
                pinned("details"),
                pinned("productpage"),
                pinned("ratings"),
                { name: "reviews", spec: { parentRefs: PARENT("reviews"), rules } },
            ]);
            assert.deepEqual(p.virtualServices, []);
        });
    }

    it("covers every routing mode with a case above", () => {
        const covered = new Set(CASES.map(([mode]) => mode));
        assert.deepEqual(
            ROUTING_MODE_NAMES.filter((m) => !covered.has(m) && m !== "round-robin"),
            [],
        );
    });

    it("a ratings fault: ratings gets a VirtualService to ratings-v1 (no subsets) instead of its HTTPRoute", () => {
        const delay = modePlan("jason-v2", { ratingsFault: { kind: "delay", fixedDelay: "7s" } });
        assert.deepEqual(
            delay.httpRoutes.map((r) => r.name),
            ["details", "productpage", "reviews"],
        );
        assert.deepEqual(delay.virtualServices, [
            {
                name: "ratings",
                spec: {
                    hosts: ["ratings"],
                    http: [
                        {
                            match: [{ headers: { "end-user": { exact: "jason" } } }],
                            fault: { delay: { percentage: { value: 100 }, fixedDelay: "7s" } },
                            route: [{ destination: { host: "ratings-v1" } }],
                        },
                        { route: [{ destination: { host: "ratings-v1" } }] },
                    ],
                },
            },
        ]);
        const abort = modePlan("all-v1", { ratingsFault: { kind: "abort", httpStatus: 503 } });
        assert.deepEqual(abort.virtualServices[0].spec.http[0].fault, {
            abort: { percentage: { value: 100 }, httpStatus: 503 },
        });
    });

    it("mtls strict: the PeerAuthentication only (no DestinationRules in this model)", () => {
        const strict = modePlan("jason-v2", { mtls: "strict" });
        const permissive = modePlan("jason-v2");
        assert.deepEqual(strict.peerAuthentication.spec, { mtls: { mode: "STRICT" } });
        assert.deepEqual(strict.httpRoutes, permissive.httpRoutes);
    });

    it("expects the same shares as Istio's model: npm run verify judges both alike", () => {
        for (const mode of ROUTING_MODE_NAMES) {
            const shares = expectedShares(defaultTrafficOptions(mode), SERVICES.reviews);
            const weights = reviewsRules(mode)?.at(-1)?.backendRefs ?? [];
            const total = weights.reduce((s, b) => s + (b.weight ?? 100), 0);
            for (const b of weights) {
                const version = b.name.replace(/^reviews-/, "");
                assert.equal(
                    shares.anonymous[version],
                    (b.weight ?? 100) / total,
                    `${mode} ${version}`,
                );
            }
        }
    });

    it("refuses a version the service does not run, and bad options, naming them", () => {
        assert.throws(
            () =>
                gatewayApiPlan(
                    { ...SERVICES, reviews: ["v1", "v2"] },
                    9080,
                    defaultTrafficOptions("all-v3"),
                ),
            /routing mode "all-v3" sends reviews traffic to Service reviews-v3, but reviews runs only v1, v2/,
        );
        assert.throws(
            () => modePlan("canary", { canaryWeight: 120 }),
            /reviews weights v1=-20, v3=120: expected whole numbers from 0 to 100/,
        );
        assert.throws(
            () => modePlan("jason-v2", { reviewsTimeout: "1.5ms" }),
            /whole milliseconds/,
        );
    });
});

describe("gatewayApiDuration", () => {
    const CASES: [string, string][] = [
        ["0.5s", "500ms"],
        ["500ms", "500ms"],
        ["7s", "7s"],
        ["1.5s", "1500ms"],
        ["90s", "90s"],
        ["1m", "1m"],
        ["2h", "2h"],
    ];
    for (const [istio, gateway] of CASES) {
        it(`${istio} -> ${gateway}`, () => assert.equal(gatewayApiDuration(istio), gateway));
    }
    it("refuses what the Gateway API cannot say: fractions of a millisecond", () => {
        assert.equal(isGatewayApiDuration("1.5ms"), false);
        assert.equal(isGatewayApiDuration("0.5s"), true);
        assert.throws(() => gatewayApiDuration("soon"), /whole milliseconds/);
        // 100000 s is 1666.67 min and six digits of seconds: no unit holds it.
        assert.throws(() => gatewayApiDuration("100000s"), /too long for a Gateway API duration/);
    });
});

describe("the traffic model", () => {
    it("refuses ambient with Istio's APIs, saying why and what to set; supports the other three", () => {
        assert.match(
            unsupportedTrafficModel({ trafficApi: "istio", dataplane: "ambient" }) ?? "",
            /waypoints with Gateway API HTTPRoutes.*set trafficApi gateway-api, or dataplane sidecar/,
        );
        for (const model of [
            { trafficApi: "istio", dataplane: "sidecar" },
            { trafficApi: "gateway-api", dataplane: "sidecar" },
            { trafficApi: "gateway-api", dataplane: "ambient" },
        ] as const) {
            assert.equal(unsupportedTrafficModel(model), undefined, JSON.stringify(model));
        }
    });

    it("labels the namespace for injection, or for ambient mode and its waypoint", () => {
        assert.deepEqual(namespaceLabels("sidecar"), { "istio-injection": "enabled" });
        assert.deepEqual(namespaceLabels("ambient"), {
            "istio.io/dataplane-mode": "ambient",
            "istio.io/use-waypoint": "waypoint",
        });
    });

    it("a waypoint is a Gateway of class istio-waypoint with the HBONE listener", () => {
        assert.deepEqual(waypointSpec(), {
            gatewayClassName: "istio-waypoint",
            listeners: [{ name: "mesh", port: 15008, protocol: "HBONE" }],
        });
    });

    it("installs the standard channel of the Gateway API v1.5.1, from the release", () => {
        assert.equal(
            gatewayApiCrdsUrl(),
            "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
        );
    });

    it("accepts existing CRDs of v1.5.0 or newer, and refuses older or unlabelled ones", () => {
        for (const v of ["v1.5.0", "v1.5.1", "v1.6.0", "v2.0.0"]) {
            assert.equal(
                gatewayApiBundleProblem("gateways.gateway.networking.k8s.io", v),
                undefined,
                v,
            );
        }
        assert.equal(
            gatewayApiBundleProblem("gateways.gateway.networking.k8s.io", "v1.4.1"),
            'CRD gateways.gateway.networking.k8s.io has gateway.networking.k8s.io/bundle-version "v1.4.1": ' +
                "Istio 1.30 needs the Gateway API v1.5.0 or newer (set gatewayApiCrds install on a cluster without them)",
        );
        assert.match(gatewayApiBundleProblem("x", undefined) ?? "", /bundle-version null/);
    });
});

describe("the Gateway API ingress and per-version Services", () => {
    it("a Service per version of every app Service, as Istio's bookinfo-versions.yaml has them", () => {
        const model = BookinfoModel.load();
        const svc = (app: string, version: string) => ({
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: `${app}-${version}` },
            spec: { ports: [{ port: 9080, name: "http" }], selector: { app, version } },
        });
        assert.deepEqual(versionServices(model, VERSION_LABEL), [
            svc("details", "v1"),
            svc("ratings", "v1"),
            svc("reviews", "v1"),
            svc("reviews", "v2"),
            svc("reviews", "v3"),
            svc("productpage", "v1"),
        ]);
    });

    it("the Gateway: class istio, HTTP on 80 for routes of its namespace, load balancer annotations as infrastructure", () => {
        const nlb = { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" };
        const listeners = [
            {
                name: "http",
                port: 80,
                protocol: "HTTP",
                allowedRoutes: { namespaces: { from: "Same" } },
            },
        ];
        assert.deepEqual(ingressGatewaySpec(80, nlb), {
            gatewayClassName: "istio",
            infrastructure: { annotations: nlb },
            listeners,
        });
        assert.deepEqual(ingressGatewaySpec(80, {}), { gatewayClassName: "istio", listeners });
    });

    it("the product page HTTPRoute: its five paths from the Gateway to productpage:9080", () => {
        const routes = [
            { exact: "/productpage" },
            { prefix: "/static" },
            { exact: "/login" },
            { exact: "/logout" },
            { prefix: "/api/v1/products" },
        ];
        assert.deepEqual(
            productpageHttpRouteSpec("bookinfo-gateway", "productpage", 9080, routes),
            {
                parentRefs: [{ name: "bookinfo-gateway" }],
                rules: [
                    {
                        matches: [
                            { path: { type: "Exact", value: "/productpage" } },
                            { path: { type: "PathPrefix", value: "/static" } },
                            { path: { type: "Exact", value: "/login" } },
                            { path: { type: "Exact", value: "/logout" } },
                            { path: { type: "PathPrefix", value: "/api/v1/products" } },
                        ],
                        backendRefs: [{ name: "productpage", port: 9080 }],
                    },
                ],
            },
        );
    });
});
