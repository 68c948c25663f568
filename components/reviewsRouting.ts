import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { BookinfoModel } from "../lib/manifests";
import {
    expectedShares,
    ExpectedShares,
    MtlsMode,
    RatingsFaultSpec,
    REVIEWS_SERVICE,
    RoutingMode,
    routingPlan,
    trafficOptionsOf,
    VERSION_LABEL,
} from "../lib/routing";

/** Arguments of `ReviewsRouting`. */
export interface ReviewsRoutingArgs {
    /** The app's namespace; routing objects live beside the services they route. */
    namespace: pulumi.Input<string>;
    /** The routing mode, e.g. `"jason-v2"` (the modes are the README's table). */
    mode: RoutingMode;
    /** Percent of reviews traffic for v3 in mode `canary`, a whole number from 0 to 100. Defaults to 10. */
    canaryWeight?: number;
    /**
     * A fault for the test user's requests to ratings: `{ kind: "delay", fixedDelay: "7s" }` or
     * `{ kind: "abort", httpStatus: 500 }`. Defaults to none.
     */
    ratingsFault?: RatingsFaultSpec;
    /** A request timeout for reviews, as an Istio duration (e.g. `"0.5s"`). Defaults to none. */
    reviewsTimeout?: string;
    /**
     * Mutual TLS in the namespace: `"strict"` refuses plain-text traffic into the app and makes
     * the DestinationRules use Istio's mutual TLS. Defaults to `"permissive"`.
     */
    mtls?: MtlsMode;
    /**
     * The app's services and the versions each runs: the DestinationRule subsets. Defaults to
     * what the package's Bookinfo manifest deploys.
     */
    services?: Record<string, string[]>;
    /**
     * The Helm releases that must be ready first: Istio's CRDs and istiod, whose webhook
     * validates these objects (an IstioMesh's `ready`).
     */
    istioReady?: pulumi.Input<k8s.helm.v3.Release[]>;
}

/** The routing objects of each ReviewsRouting, for TypeScript callers. */
interface RoutingObjects {
    destinationRules: Record<string, k8s.apiextensions.CustomResource>;
    virtualServices: Record<string, k8s.apiextensions.CustomResource>;
    peerAuthentication: k8s.apiextensions.CustomResource;
}
const routingObjectsOf = new WeakMap<ReviewsRouting, RoutingObjects>();

/**
 * The Bookinfo traffic policy of one routing mode and its options: a DestinationRule per
 * service with a subset per version, VirtualServices pinning productpage, ratings (with the
 * fault, if any) and details to v1, the reviews VirtualService the mode and timeout call for, and
 * the namespace's PeerAuthentication. Object names are stable across modes and options, so a
 * switch updates, creates or deletes these objects and nothing else in the stack.
 *
 * The cluster is the one of the Kubernetes provider given in the resource options (`provider`,
 * or `providers`) or inherited from a parent; without any, Pulumi's default provider.
 */
export class ReviewsRouting extends pulumi.ComponentResource {
    /** The mode this routing implements. */
    public readonly mode: pulumi.Output<RoutingMode>;
    /** For each reader (anonymous, jason), the expected share of each reviews version. */
    public readonly expectedShares: pulumi.Output<ExpectedShares>;

    constructor(name: string, args: ReviewsRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
        // The ratings fault is checked before anything is registered.
        const options = trafficOptionsOf(args);
        super("istio-eks:index:ReviewsRouting", name, {}, opts);
        const services = args.services ?? BookinfoModel.load().serviceVersions(VERSION_LABEL);
        const plan = routingPlan(services, options);
        const k8sOpts = { parent: this, dependsOn: args.istioReady };
        const istioObject = (
            kind: string,
            apiVersion: string,
            objectName: string,
            spec: object,
        ) => ({
            apiVersion,
            kind,
            metadata: { name: objectName, namespace: args.namespace },
            spec,
        });

        const destinationRules: Record<string, k8s.apiextensions.CustomResource> = {};
        for (const dr of plan.destinationRules) {
            destinationRules[dr.name] = new k8s.apiextensions.CustomResource(
                `${name}-dr-${dr.name}`,
                istioObject("DestinationRule", "networking.istio.io/v1", dr.name, dr.spec),
                k8sOpts,
            );
        }
        const virtualServices: Record<string, k8s.apiextensions.CustomResource> = {};
        for (const vs of plan.virtualServices) {
            virtualServices[vs.name] = new k8s.apiextensions.CustomResource(
                `${name}-vs-${vs.name}`,
                istioObject("VirtualService", "networking.istio.io/v1", vs.name, vs.spec),
                // Subsets must exist before a route names them, or requests fail meanwhile.
                {
                    ...k8sOpts,
                    dependsOn: pulumi
                        .output(args.istioReady ?? [])
                        .apply((ready) => [...ready, destinationRules[vs.name]]),
                },
            );
        }
        const pa = plan.peerAuthentication;
        const peerAuthentication = new k8s.apiextensions.CustomResource(
            `${name}-peer-authentication`,
            istioObject("PeerAuthentication", "security.istio.io/v1", pa.name, pa.spec),
            k8sOpts,
        );

        this.mode = pulumi.output(args.mode);
        this.expectedShares = pulumi.output(
            expectedShares(options, services[REVIEWS_SERVICE] ?? []),
        );
        routingObjectsOf.set(this, { destinationRules, virtualServices, peerAuthentication });
        this.registerOutputs({ mode: this.mode, expectedShares: this.expectedShares });
    }

    /** DestinationRules by service name (TypeScript only: a package schema cannot name them). */
    public get destinationRules(): Record<string, k8s.apiextensions.CustomResource> {
        return this.routingObjects().destinationRules;
    }

    /**
     * VirtualServices by service name; reviews is absent in round-robin without a timeout
     * (TypeScript only).
     */
    public get virtualServices(): Record<string, k8s.apiextensions.CustomResource> {
        return this.routingObjects().virtualServices;
    }

    /** The namespace-wide PeerAuthentication (TypeScript only). */
    public get peerAuthentication(): k8s.apiextensions.CustomResource {
        return this.routingObjects().peerAuthentication;
    }

    private routingObjects(): RoutingObjects {
        const objects = routingObjectsOf.get(this);
        if (objects === undefined) {
            throw new Error("ReviewsRouting: routing objects read before construction ended");
        }
        return objects;
    }
}
