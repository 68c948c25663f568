import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { BookinfoModel } from "../lib/manifests";
import {
    defaultTrafficOptions,
    expectedShares,
    ExpectedShares,
    MtlsMode,
    RatingsFault,
    REVIEWS_SERVICE,
    RoutingMode,
    routingPlan,
    ServiceVersions,
    TrafficOptions,
    VERSION_LABEL,
} from "../lib/routing";

/** Arguments of {@link ReviewsRouting}. */
export interface ReviewsRoutingArgs {
    /** The app's namespace; routing objects live beside the services they route. */
    namespace: pulumi.Input<string>;
    /** The routing mode (see `ROUTING_MODES`). */
    mode: RoutingMode;
    /** Percent of reviews traffic for v3 in mode `canary`, a whole number from 0 to 100. Defaults to 10. */
    canaryWeight?: number;
    /** A fault for the test user's requests to ratings. Defaults to none. */
    ratingsFault?: RatingsFault;
    /** A request timeout for reviews, as an Istio duration (e.g. `"0.5s"`). Defaults to none. */
    reviewsTimeout?: string;
    /**
     * Mutual TLS in the namespace: `"strict"` refuses plain-text traffic into the app and makes
     * the DestinationRules use Istio's mutual TLS. Defaults to `"permissive"`.
     */
    mtls?: MtlsMode;
    /**
     * The app's services and the versions each runs: the DestinationRule subsets. Defaults to
     * what the project's Bookinfo manifest deploys.
     */
    services?: ServiceVersions;
    /** Resources that must exist first: Istio's CRDs and istiod (its webhook validates these objects). */
    istioReady?: pulumi.Resource[];
}

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
    /** DestinationRules by service name. */
    public readonly destinationRules: Record<string, k8s.apiextensions.CustomResource>;
    /** VirtualServices by service name; reviews is absent in round-robin without a timeout. */
    public readonly virtualServices: Record<string, k8s.apiextensions.CustomResource>;
    /** The namespace-wide PeerAuthentication. */
    public readonly peerAuthentication: k8s.apiextensions.CustomResource;

    constructor(name: string, args: ReviewsRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-eks:index:ReviewsRouting", name, {}, opts);
        const services = args.services ?? BookinfoModel.load().serviceVersions(VERSION_LABEL);
        const defaults = defaultTrafficOptions(args.mode);
        const options: TrafficOptions = {
            mode: args.mode,
            canaryWeight: args.canaryWeight ?? defaults.canaryWeight,
            ratingsFault: args.ratingsFault ?? defaults.ratingsFault,
            ...(args.reviewsTimeout === undefined ? {} : { reviewsTimeout: args.reviewsTimeout }),
            mtls: args.mtls ?? defaults.mtls,
        };
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
                    dependsOn: [...(args.istioReady ?? []), destinationRules[vs.name]],
                },
            );
        }
        const pa = plan.peerAuthentication;
        this.peerAuthentication = new k8s.apiextensions.CustomResource(
            `${name}-peer-authentication`,
            istioObject("PeerAuthentication", "security.istio.io/v1", pa.name, pa.spec),
            k8sOpts,
        );

        this.mode = pulumi.output(args.mode);
        this.expectedShares = pulumi.output(
            expectedShares(options, services[REVIEWS_SERVICE] ?? []),
        );
        this.destinationRules = destinationRules;
        this.virtualServices = virtualServices;
        this.registerOutputs({ mode: this.mode, expectedShares: this.expectedShares });
    }
}
