import * as assert from "assert/strict";

import * as k8s from "@pulumi/kubernetes";

import { ReviewsRouting } from "../components/reviewsRouting";
import { RoutingMode } from "../lib/routing";
import { runPulumi, valueOf } from "./harness";

function build(mode: RoutingMode) {
    return runPulumi(() => {
        const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
        const crds = new k8s.core.v1.ConfigMap("crds", {}, { provider });
        return new ReviewsRouting("r", {
            provider,
            namespace: "bookinfo",
            mode,
            istioReady: [crds],
        });
    });
}

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
    for (const mode of ["round-robin", "all-v1", "jason-v2"] as const) {
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
            for (const dr of drs) {
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

    it("creates each VirtualService after the CRDs and its service's DestinationRule", async () => {
        const run = await build("jason-v2");
        for (const service of ["details", "productpage", "ratings", "reviews"]) {
            const vs = run.named(`r-vs-${service}`);
            assert.deepEqual(run.dependencyNames(vs), ["crds", `r-dr-${service}`]);
            assert.equal(run.providerName(vs), "k8s");
        }
    });

    it("takes the services and versions it routes from its arguments", async () => {
        const run = await runPulumi(() => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            return new ReviewsRouting("r", {
                provider,
                namespace: "shop",
                mode: "jason-v2",
                services: { reviews: ["v1", "v2"] },
            });
        });
        assert.deepEqual(Object.keys(routingObjects(run)).sort(), ["r-dr-reviews", "r-vs-reviews"]);
        assert.deepEqual(run.named("r-dr-reviews").inputs.spec.subsets, subsets("v1", "v2"));
    });

    it("refuses a mode whose route names a version the service does not run", async () => {
        await assert.rejects(
            runPulumi(() => {
                const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
                return new ReviewsRouting("r", {
                    provider,
                    namespace: "shop",
                    mode: "jason-v2",
                    services: { reviews: ["v1"] },
                });
            }),
            /routing mode "jason-v2" sends reviews traffic to subset "v2", but reviews runs only v1/,
        );
    });
});
