import * as assert from "assert/strict";

import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { ReviewsRouting, ReviewsRoutingArgs } from "../components/reviewsRouting";
import { ROUTING_MODE_NAMES, RoutingMode } from "../lib/routing";
import { runPulumi, valueOf } from "./harness";

type Options = Omit<ReviewsRoutingArgs, "namespace" | "mode" | "istioReady">;

function build(mode: RoutingMode, options: Options = {}) {
    return runPulumi(() => {
        const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
        const crds = new k8s.helm.v3.Release("crds", { chart: "base" }, { provider });
        return new ReviewsRouting(
            "r",
            { namespace: "bookinfo", mode, ...options, istioReady: [crds] },
            { provider },
        );
    });
}

/** A route to one reviews subset, optionally weighted. */
const to = (subset: string, weight?: number) => ({
    destination: { host: "reviews", subset },
    ...(weight === undefined ? {} : { weight }),
});

const JASON = [{ headers: { "end-user": { exact: "jason" } } }];

const v1 = (host: string) => ({
    hosts: [host],
    http: [{ route: [{ destination: { host, subset: "v1" } }] }],
});

const subsets = (...versions: string[]) =>
    versions.map((v) => ({ name: v, labels: { version: v } }));

/** The inputs of a routing object as ReviewsRouting must register it. */
const object = (kind: string, name: string, spec: unknown) => ({
    apiVersion: "networking.istio.io/v1",
    kind,
    metadata: { name, namespace: "bookinfo" },
    spec,
});

const PINNED = {
    "r-vs-details": object("VirtualService", "details", v1("details")),
    "r-vs-productpage": object("VirtualService", "productpage", v1("productpage")),
    "r-vs-ratings": object("VirtualService", "ratings", v1("ratings")),
};

/** Every routing object of a run, by logical name. */
function routingObjects(run: Awaited<ReturnType<typeof build>>) {
    return Object.fromEntries(
        run.resources
            .filter((r) => r.type.startsWith("kubernetes:networking.istio.io/v1:"))
            .map((r) => [r.name, r.inputs]),
    );
}

describe("ReviewsRouting", () => {
    for (const mode of ROUTING_MODE_NAMES) {
        it(`${mode}: a DestinationRule per service with a subset per version, after the CRDs`, async () => {
            const run = await build(mode);
            const drs = run.ofType("kubernetes:networking.istio.io/v1:DestinationRule");
            assert.deepEqual(Object.fromEntries(drs.map((d) => [d.name, d.inputs])), {
                "r-dr-details": object("DestinationRule", "details", {
                    host: "details",
                    subsets: subsets("v1"),
                }),
                "r-dr-productpage": object("DestinationRule", "productpage", {
                    host: "productpage",
                    subsets: subsets("v1"),
                }),
                "r-dr-ratings": object("DestinationRule", "ratings", {
                    host: "ratings",
                    subsets: subsets("v1"),
                }),
                "r-dr-reviews": object("DestinationRule", "reviews", {
                    host: "reviews",
                    subsets: subsets("v1", "v2", "v3"),
                }),
            });
            for (const dr of [...drs, run.named("r-peer-authentication")]) {
                assert.deepEqual(run.dependencyNames(dr), ["crds"]);
                assert.equal(run.providerName(dr), "k8s");
            }
            assert.equal(await valueOf(run.result.mode), mode);
        });
    }

    it("round-robin: no reviews VirtualService, the other services pinned to v1", async () => {
        const run = await build("round-robin");
        const { ...vs } = routingObjects(run);
        for (const dr of ["details", "productpage", "ratings", "reviews"]) {
            delete vs[`r-dr-${dr}`];
        }
        delete vs["r-peer-authentication"];
        assert.deepEqual(vs, PINNED);
    });

    it("all-v1: every service, reviews included, to subset v1", async () => {
        const run = await build("all-v1");
        const objects = routingObjects(run);
        assert.deepEqual(
            objects["r-vs-reviews"],
            object("VirtualService", "reviews", v1("reviews")),
        );
        for (const [name, inputs] of Object.entries(PINNED)) {
            assert.deepEqual(objects[name], inputs);
        }
    });

    it("jason-v2: jason (end-user header, exact) to v2, everybody else to v1", async () => {
        const run = await build("jason-v2");
        const objects = routingObjects(run);
        assert.deepEqual(
            objects["r-vs-reviews"],
            object("VirtualService", "reviews", {
                hosts: ["reviews"],
                http: [
                    {
                        match: [{ headers: { "end-user": { exact: "jason" } } }],
                        route: [{ destination: { host: "reviews", subset: "v2" } }],
                    },
                    { route: [{ destination: { host: "reviews", subset: "v1" } }] },
                ],
            }),
        );
        for (const [name, inputs] of Object.entries(PINNED)) {
            assert.deepEqual(objects[name], inputs);
        }
    });

    const reviewsCases: [RoutingMode, Options, unknown[]][] = [
        ["v3-50", {}, [{ route: [to("v1", 50), to("v3", 50)] }]],
        ["all-v3", {}, [{ route: [to("v3")] }]],
        ["jason-v2-else-v3", {}, [{ match: JASON, route: [to("v2")] }, { route: [to("v3")] }]],
        ["canary", {}, [{ route: [to("v1", 90), to("v3", 10)] }]],
        ["canary", { canaryWeight: 25 }, [{ route: [to("v1", 75), to("v3", 25)] }]],
        // A zero share is no destination; a lone destination carries no weight.
        ["canary", { canaryWeight: 0 }, [{ route: [to("v1")] }]],
        ["canary", { canaryWeight: 100 }, [{ route: [to("v3")] }]],
        // A timeout in round-robin needs a VirtualService: one to any reviews pod.
        [
            "round-robin",
            { reviewsTimeout: "0.5s" },
            [{ route: [{ destination: { host: "reviews" } }], timeout: "0.5s" }],
        ],
        [
            "jason-v2",
            { reviewsTimeout: "0.5s" },
            [
                { match: JASON, route: [to("v2")], timeout: "0.5s" },
                { route: [to("v1")], timeout: "0.5s" },
            ],
        ],
    ];
    for (const [mode, options, http] of reviewsCases) {
        it(`${mode} ${JSON.stringify(options)}: the reviews VirtualService routes ${JSON.stringify(http)}`, async () => {
            const run = await build(mode, options);
            const objects = routingObjects(run);
            assert.deepEqual(
                objects["r-vs-reviews"],
                object("VirtualService", "reviews", { hosts: ["reviews"], http }),
            );
            for (const [name, inputs] of Object.entries(PINNED)) {
                assert.deepEqual(objects[name], inputs);
            }
        });
    }

    it("ratingsFault delay: jason's requests to ratings wait, everybody else's go straight to v1", async () => {
        const run = await build("jason-v2", { ratingsFault: { kind: "delay", fixedDelay: "7s" } });
        assert.deepEqual(
            routingObjects(run)["r-vs-ratings"],
            object("VirtualService", "ratings", {
                hosts: ["ratings"],
                http: [
                    {
                        match: JASON,
                        fault: { delay: { percentage: { value: 100 }, fixedDelay: "7s" } },
                        route: [{ destination: { host: "ratings", subset: "v1" } }],
                    },
                    { route: [{ destination: { host: "ratings", subset: "v1" } }] },
                ],
            }),
        );
    });

    it("ratingsFault abort: jason's requests to ratings fail with the given status", async () => {
        const run = await build("jason-v2", { ratingsFault: { kind: "abort", httpStatus: 503 } });
        assert.deepEqual(routingObjects(run)["r-vs-ratings"].spec.http, [
            {
                match: JASON,
                fault: { abort: { percentage: { value: 100 }, httpStatus: 503 } },
                route: [{ destination: { host: "ratings", subset: "v1" } }],
            },
            { route: [{ destination: { host: "ratings", subset: "v1" } }] },
        ]);
    });

    it("mtls permissive: a PERMISSIVE PeerAuthentication and DestinationRules without TLS settings", async () => {
        const run = await build("all-v1");
        assert.deepEqual(run.named("r-peer-authentication").inputs, {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: "bookinfo" },
            spec: { mtls: { mode: "PERMISSIVE" } },
        });
        for (const dr of run.ofType("kubernetes:networking.istio.io/v1:DestinationRule")) {
            assert.equal(dr.inputs.spec.trafficPolicy, undefined);
        }
    });

    it("mtls strict: a STRICT PeerAuthentication and ISTIO_MUTUAL DestinationRules", async () => {
        const run = await build("all-v1", { mtls: "strict" });
        assert.deepEqual(run.named("r-peer-authentication").inputs.spec, {
            mtls: { mode: "STRICT" },
        });
        const drs = run.ofType("kubernetes:networking.istio.io/v1:DestinationRule");
        assert.equal(drs.length, 4);
        for (const dr of drs) {
            assert.deepEqual(dr.inputs.spec.trafficPolicy, { tls: { mode: "ISTIO_MUTUAL" } });
        }
    });

    it("exposes what each reader should see", async () => {
        assert.deepEqual(await valueOf((await build("jason-v2")).result.expectedShares), {
            anonymous: { v1: 1, v2: 0, v3: 0, error: 0 },
            jason: { v1: 0, v2: 1, v3: 0, error: 0 },
        });
        const canary = await build("canary", { canaryWeight: 30 });
        assert.deepEqual(await valueOf(canary.result.expectedShares), {
            anonymous: { v1: 0.7, v2: 0, v3: 0.3, error: 0 },
            jason: { v1: 0.7, v2: 0, v3: 0.3, error: 0 },
        });
    });

    it("refuses weights that do not add up to 100", async () => {
        await assert.rejects(
            build("canary", { canaryWeight: 101 }),
            /reviews weights v1=-1, v3=101: expected whole numbers from 0 to 100 that add up to 100/,
        );
    });

    it("creates each VirtualService after the CRDs and its service's DestinationRule", async () => {
        const run = await build("jason-v2");
        for (const service of ["details", "productpage", "ratings", "reviews"]) {
            const vs = run.named(`r-vs-${service}`);
            assert.deepEqual(run.dependencyNames(vs), ["crds", `r-dr-${service}`]);
            assert.equal(run.providerName(vs), "k8s");
        }
    });

    it("gives TypeScript callers its routing objects", async () => {
        const run = await build("jason-v2");
        const routing = run.result;
        const urnOf = (r: pulumi.Resource) => valueOf(r.urn);
        assert.deepEqual(Object.keys(routing.destinationRules).sort(), [
            "details",
            "productpage",
            "ratings",
            "reviews",
        ]);
        assert.equal(await urnOf(routing.virtualServices.reviews), run.named("r-vs-reviews").urn);
        assert.equal(
            await urnOf(routing.peerAuthentication),
            run.named("r-peer-authentication").urn,
        );
    });

    it("refuses a ratings fault without its field", async () => {
        const run = runPulumi(() => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            return new ReviewsRouting(
                "r",
                { namespace: "shop", mode: "jason-v2", ratingsFault: { kind: "delay" } },
                { provider },
            );
        });
        await assert.rejects(run, {
            message: "ratingsFault delay needs fixedDelay, an Istio duration (e.g. 7s)",
        });
    });

    it("takes the services and versions it routes from its arguments", async () => {
        const run = await runPulumi(() => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            return new ReviewsRouting(
                "r",
                { namespace: "shop", mode: "jason-v2", services: { reviews: ["v1", "v2"] } },
                { provider },
            );
        });
        assert.deepEqual(Object.keys(routingObjects(run)).sort(), ["r-dr-reviews", "r-vs-reviews"]);
        assert.deepEqual(run.named("r-dr-reviews").inputs.spec.subsets, subsets("v1", "v2"));
    });

    it("refuses a mode whose route names a version the service does not run", async () => {
        await assert.rejects(
            runPulumi(() => {
                const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
                return new ReviewsRouting(
                    "r",
                    { namespace: "shop", mode: "jason-v2", services: { reviews: ["v1"] } },
                    { provider },
                );
            }),
            /routing mode "jason-v2" sends reviews traffic to subset "v2", but reviews runs only v1/,
        );
    });
});
