import * as assert from "assert/strict";

import * as k8s from "@pulumi/kubernetes";

import { GatewayApiCrds, GatewayApiCrdsArgs } from "../components/gatewayApiCrds";
import { GatewayApiRouting, GatewayApiRoutingArgs } from "../components/gatewayApiRouting";
import { RoutingMode } from "../lib/routing";
import { MOCK, runPulumi, valueOf } from "./harness";

type Options = Omit<GatewayApiRoutingArgs, "namespace" | "mode" | "istioReady">;

function build(mode: RoutingMode, options: Options = {}) {
    return runPulumi(() => {
        const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
        const ready = new k8s.helm.v3.Release("ready", { chart: "istiod" }, { provider });
        return new GatewayApiRouting(
            "r",
            { namespace: "bookinfo", mode, ...options, istioReady: [ready] },
            { provider },
        );
    });
}

const VERSION_SERVICES = [
    "details-v1",
    "ratings-v1",
    "reviews-v1",
    "reviews-v2",
    "reviews-v3",
    "productpage-v1",
];

describe("GatewayApiRouting", () => {
    let jason: Awaited<ReturnType<typeof build>>;
    before(async () => {
        jason = await build("jason-v2", { reviewsTimeout: "0.5s" });
    });

    it("creates a Service per version, as Istio's bookinfo-versions.yaml, in the app's namespace", () => {
        const services = jason.ofType("kubernetes:core/v1:Service");
        assert.deepEqual(
            services.map((s) => s.name),
            VERSION_SERVICES.map((n) => `r-svc-${n}`),
        );
        assert.deepEqual(jason.named("r-svc-reviews-v2").inputs, {
            apiVersion: "v1",
            kind: "Service",
            metadata: { name: "reviews-v2", namespace: "bookinfo" },
            spec: {
                ports: [{ port: 9080, name: "http" }],
                selector: { app: "reviews", version: "v2" },
            },
        });
        for (const s of services) {
            assert.deepEqual(jason.dependencyNames(s), [], `${s.name} needs no CRD`);
            assert.equal(jason.providerName(s), "k8s");
        }
    });

    it("registers Service-parented HTTPRoutes after what must be ready and the Services they route to", () => {
        const routes = jason.ofType("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute");
        assert.deepEqual(
            routes.map((r) => [r.name, r.inputs.metadata]),
            ["details", "productpage", "ratings", "reviews"].map((n) => [
                `r-route-${n}`,
                { name: n, namespace: "bookinfo" },
            ]),
        );
        assert.deepEqual(jason.named("r-route-reviews").inputs.spec, {
            parentRefs: [{ group: "", kind: "Service", name: "reviews", port: 9080 }],
            rules: [
                {
                    matches: [{ headers: [{ type: "Exact", name: "end-user", value: "jason" }] }],
                    backendRefs: [{ name: "reviews-v2", port: 9080 }],
                    timeouts: { request: "500ms" },
                },
                {
                    backendRefs: [{ name: "reviews-v1", port: 9080 }],
                    timeouts: { request: "500ms" },
                },
            ],
        });
        for (const r of routes) {
            assert.deepEqual(
                jason.dependencyNames(r),
                ["ready", ...VERSION_SERVICES.map((n) => `r-svc-${n}`)].sort(),
                r.name,
            );
        }
        assert.deepEqual(jason.ofType("kubernetes:networking.istio.io/v1:VirtualService"), []);
        assert.deepEqual(jason.ofType("kubernetes:networking.istio.io/v1:DestinationRule"), []);
    });

    it("sets the namespace's PeerAuthentication from mtls", async () => {
        const pa = jason.named("r-peer-authentication");
        assert.deepEqual(pa.inputs, {
            apiVersion: "security.istio.io/v1",
            kind: "PeerAuthentication",
            metadata: { name: "default", namespace: "bookinfo" },
            spec: { mtls: { mode: "PERMISSIVE" } },
        });
        assert.deepEqual(jason.dependencyNames(pa), ["ready"]);
        const strict = await build("all-v1", { mtls: "strict" });
        assert.deepEqual(strict.named("r-peer-authentication").inputs.spec, {
            mtls: { mode: "STRICT" },
        });
    });

    it("a ratings fault: a VirtualService for ratings instead of its HTTPRoute", async () => {
        const run = await build("jason-v2", { ratingsFault: { kind: "abort", httpStatus: 500 } });
        assert.equal(run.has("r-route-ratings"), false);
        const vs = run.named("r-vs-ratings");
        assert.equal(vs.type, "kubernetes:networking.istio.io/v1:VirtualService");
        assert.equal(vs.inputs.spec.http[0].fault.abort.httpStatus, 500);
        assert.deepEqual(vs.inputs.spec.http[1], {
            route: [{ destination: { host: "ratings-v1" } }],
        });
    });

    it("in ambient mode: every route waits for the waypoint, through its name (an output of it)", async () => {
        const run = await runPulumi(() => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            const ready = new k8s.helm.v3.Release("ready", { chart: "istiod" }, { provider });
            const waypoint = new k8s.apiextensions.CustomResource(
                "waypoint",
                {
                    apiVersion: "gateway.networking.k8s.io/v1",
                    kind: "Gateway",
                    metadata: { name: "waypoint" },
                },
                { provider },
            );
            return new GatewayApiRouting(
                "r",
                {
                    namespace: "bookinfo",
                    mode: "all-v1",
                    istioReady: [ready],
                    waypointName: waypoint.metadata.name,
                },
                { provider },
            );
        });
        for (const r of run.ofType("kubernetes:gateway.networking.k8s.io/v1:HTTPRoute")) {
            assert.deepEqual(
                run.dependencyNames(r),
                ["ready", "waypoint", ...VERSION_SERVICES.map((n) => `r-svc-${n}`)].sort(),
                r.name,
            );
        }
        assert.deepEqual(run.dependencyNames(run.named("r-peer-authentication")), [
            "ready",
            "waypoint",
        ]);
        assert.deepEqual(run.dependencyNames(run.named("r-svc-reviews-v2")), []);
    });

    it("takes the app's objects as a manifest, and refuses an unknown fault before registering", async () => {
        const manifest = [
            "apiVersion: v1\nkind: Service\nmetadata: {name: reviews}",
            "spec: {ports: [{port: 9080, name: http}], selector: {app: reviews}}",
            "---",
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: reviews-v1}",
            "spec: {template: {metadata: {labels: {app: reviews, version: v1}}}}",
        ].join("\n");
        const run = await build("all-v1", { manifest });
        assert.deepEqual(
            run.ofType("kubernetes:core/v1:Service").map((s) => s.name),
            ["r-svc-reviews-v1"],
        );
        await assert.rejects(build("all-v1", { ratingsFault: { kind: "slow" as "delay" } }), {
            message: 'ratingsFault kind "slow": expected one of none, delay, abort',
        });
    });

    it("exports the mode and what each reader should see", async () => {
        assert.equal(await valueOf(jason.result.mode), "jason-v2");
        assert.deepEqual(await valueOf(jason.result.expectedShares), {
            anonymous: { v1: 1, v2: 0, v3: 0, error: 0 },
            jason: { v1: 0, v2: 1, v3: 0, error: 0 },
        });
    });
});

describe("GatewayApiCrds", () => {
    it("installs the standard channel of v1.5.1 from the release's own file", async () => {
        const run = await runPulumi(() => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            return new GatewayApiCrds("gw", {}, { provider });
        });
        const file = run.named("gw-crds");
        assert.equal(file.type, "kubernetes:yaml/v2:ConfigFile");
        assert.deepEqual(file.inputs, {
            file: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.1/standard-install.yaml",
        });
        assert.equal(run.providerName(file), "k8s");
        assert.equal(await valueOf(run.result.bundleVersion), "v1.5.1");
        assert.equal(await valueOf(run.result.installed?.urn), file.urn);
        assert.equal(run.result.gatewaysCrd, undefined);
        assert.deepEqual(run.result.ready, [run.result.installed]);
    });

    it("refuses a source or a version it does not know, before registering anything", async () => {
        for (const [args, message] of [
            [
                { source: "exsting" },
                'Gateway API CRD source "exsting": expected one of install, existing',
            ],
            [
                { version: "1.5.1" },
                'Gateway API version "1.5.1": expected vMAJOR.MINOR.PATCH, e.g. "v1.5.1"',
            ],
        ] as const) {
            await assert.rejects(
                runPulumi(() => new GatewayApiCrds("gw", args as GatewayApiCrdsArgs)),
                { message },
            );
        }
    });

    it("on a cluster that has them: reads the Gateway CRD, creates and deletes nothing", async () => {
        const run = await runPulumi(() => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            return new GatewayApiCrds("gw", { source: "existing" }, { provider });
        });
        const crd = run.named("gw-gateways-crd");
        assert.equal(crd.read, true);
        assert.equal(crd.id, "gateways.gateway.networking.k8s.io");
        assert.deepEqual(
            run.resources.filter(
                (r) => !r.read && r.custom && r.type !== "pulumi:providers:kubernetes",
            ),
            [],
        );
        assert.equal(await valueOf(run.result.bundleVersion), "v1.5.1");
        assert.equal(run.result.installed, undefined);
        assert.deepEqual(run.result.ready, [run.result.gatewaysCrd]);
    });

    it("refuses existing CRDs older than v1.5.0, naming what it found", async () => {
        const saved = MOCK.gatewayApiCrdAnnotations;
        MOCK.gatewayApiCrdAnnotations = { "gateway.networking.k8s.io/bundle-version": "v1.2.0" };
        try {
            const run = await runPulumi(() => {
                const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
                return new GatewayApiCrds("gw", { source: "existing" }, { provider });
            });
            // The output the component registers, which pulumi up waits on, fails.
            const output = run.result.bundleVersion as unknown as { promise(): Promise<string> };
            await assert.rejects(
                output.promise(),
                /CRD gateways.gateway.networking.k8s.io has gateway.networking.k8s.io\/bundle-version "v1.2.0": Istio 1.30 needs the Gateway API v1.5.0 or newer/,
            );
        } finally {
            MOCK.gatewayApiCrdAnnotations = saved;
        }
    });
});
