/**
 * Providers reach the components as Pulumi's convention has it for components: in the resource
 * options (`provider`, or `providers`), or inherited from a parent, and from
 * the component to every resource it creates.
 */
import * as assert from "assert/strict";

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { BookinfoApp } from "../components/bookinfoApp";
import { EksCluster } from "../components/eksCluster";
import { GatewayApiCrds } from "../components/gatewayApiCrds";
import { GatewayApiRouting } from "../components/gatewayApiRouting";
import { IstioMesh } from "../components/istioMesh";
import { MeshObservability } from "../components/meshObservability";
import { ReviewsRouting } from "../components/reviewsRouting";
import { Run, runPulumi } from "./harness";

/** The mesh, the app, the routing and the add-ons, each given `options(provider)`. */
function meshAppRouting(
    options: (provider: k8s.Provider) => pulumi.ComponentResourceOptions,
): Promise<Run<void>> {
    return runPulumi(() => {
        const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
        const mesh = new IstioMesh("mesh", { version: "1.30.5" }, options(provider));
        const app = new BookinfoApp("app", { mesh }, options(provider));
        new ReviewsRouting(
            "routing",
            { namespace: app.namespace, mode: "jason-v2", istioReady: mesh.ready },
            options(provider),
        );
        new MeshObservability(
            "obs",
            { istioVersion: "1.30.5", istioReady: mesh.ready },
            options(provider),
        );
    });
}

/** Every Kubernetes resource the components registered, with the name of its provider. */
function kubernetesProviders(run: Run<unknown>): [string, string][] {
    return run.resources
        .filter((r) => r.custom && r.type.startsWith("kubernetes:"))
        .map((r) => [r.name, run.providerName(r)]);
}

describe("Providers, as Pulumi's convention has them", () => {
    const ways: [string, (p: k8s.Provider) => pulumi.ComponentResourceOptions][] = [
        ["provider", (provider) => ({ provider })],
        ["providers (a map)", (provider) => ({ providers: { kubernetes: provider } })],
        [
            "a parent's providers",
            (provider) => ({
                parent: new pulumi.ComponentResource(
                    "test:index:Parent",
                    "parent",
                    {},
                    { providers: [provider] },
                ),
            }),
        ],
    ];
    for (const [way, options] of ways) {
        it(`IstioMesh, BookinfoApp, ReviewsRouting and MeshObservability take the Kubernetes provider from ${way}`, async () => {
            const run = await meshAppRouting(options);
            const used = kubernetesProviders(run);
            const names = used.map(([name]) => name);
            // Releases, the gateway Service read, namespaces, the app's objects, routing objects,
            // the add-ons and the Telemetry.
            for (const name of [
                "mesh-istiod",
                "mesh-gateway-service",
                "app-ns",
                "routing-vs-reviews",
                "obs-kiali",
                "obs-telemetry",
            ]) {
                assert.ok(names.includes(name), name);
            }
            assert.deepEqual(
                used.filter(([, provider]) => provider !== "k8s"),
                [],
                "every Kubernetes resource uses the given provider",
            );
        });
    }

    it("GatewayApiCrds, and the mesh, app and routing of the Gateway API in ambient mode, take the Kubernetes provider from a parent's providers", async () => {
        const run = await runPulumi(() => {
            const provider = new k8s.Provider("k8s", { kubeconfig: "{}" });
            const parent = new pulumi.ComponentResource(
                "test:index:Parent",
                "parent",
                {},
                { providers: [provider] },
            );
            new GatewayApiCrds("gw-existing", { source: "existing" }, { parent });
            const mesh = new IstioMesh(
                "mesh",
                {
                    version: "1.30.5",
                    dataplaneMode: "ambient",
                    ingressGateway: false,
                    gatewayApiCrds: "install",
                },
                { parent },
            );
            const app = new BookinfoApp("app", { mesh, trafficApi: "gateway-api" }, { parent });
            new GatewayApiRouting(
                "routing",
                {
                    namespace: app.namespace,
                    mode: "jason-v2",
                    istioReady: mesh.ready,
                    waypointName: app.waypointName,
                },
                { parent },
            );
        });
        const used = kubernetesProviders(run);
        const names = used.map(([name]) => name);
        for (const name of [
            "gw-existing-gateways-crd",
            "mesh-ztunnel",
            "app-waypoint",
            "app-ingress-gateway",
            "routing-route-reviews",
            "routing-svc-reviews-v2",
        ]) {
            assert.ok(names.includes(name), name);
        }
        assert.deepEqual(
            used.filter(([, provider]) => provider !== "k8s"),
            [],
        );
        // The remote ConfigFile of the CRDs gets the provider for its package too.
        assert.equal(run.providerName(run.named("mesh-gateway-api-crds")), "k8s");
    });

    it("without any provider, the components leave Kubernetes resources to Pulumi's default provider", async () => {
        const run = await meshAppRouting(() => ({}));
        assert.deepEqual(
            kubernetesProviders(run).filter(([, provider]) => provider !== ""),
            [],
        );
    });

    for (const [way, options] of [
        ["provider", (provider: aws.Provider) => ({ provider })],
        [
            "a parent's providers",
            (provider: aws.Provider) => ({
                parent: new pulumi.ComponentResource(
                    "test:index:Parent",
                    "parent",
                    {},
                    { providers: { aws: provider } },
                ),
            }),
        ],
    ] as const) {
        it(`EksCluster takes the AWS provider from ${way}, and hands it to @pulumi/eks's components`, async () => {
            const run = await runPulumi(() => {
                const provider = new aws.Provider("west", { region: "us-west-2" });
                new EksCluster(
                    "c",
                    {
                        kubernetesVersion: "1.35",
                        instanceType: "m5.large",
                        scaling: { desired: 2, min: 2, max: 3 },
                    },
                    options(provider),
                );
            });
            const awsResources = run.resources.filter((r) => r.custom && r.type.startsWith("aws:"));
            assert.ok(awsResources.some((r) => r.name === "c-vpc"));
            for (const r of awsResources) {
                assert.equal(run.providerName(r), "west", `${r.type} ${r.name}`);
            }
            // Remote components run in their own provider: only what they are given reaches them.
            for (const name of ["c-eks", "c-nodes"]) {
                assert.deepEqual(run.providerNames(run.named(name)), { aws: "west" }, name);
            }
        });
    }
});
