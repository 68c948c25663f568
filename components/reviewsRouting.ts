import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { BookinfoModel } from "../lib/manifests";
import { RoutingMode, routingPlan, ServiceVersions, VERSION_LABEL } from "../lib/routing";

/** Arguments of {@link ReviewsRouting}. */
export interface ReviewsRoutingArgs {
    /** The cluster's Kubernetes provider; every routing object uses it. */
    provider: k8s.Provider;
    /** The app's namespace; routing objects live beside the services they route. */
    namespace: pulumi.Input<string>;
    /** The routing mode (see `ROUTING_MODES`). */
    mode: RoutingMode;
    /**
     * The app's services and the versions each runs: the DestinationRule subsets. Defaults to
     * what the project's Bookinfo manifest deploys.
     */
    services?: ServiceVersions;
    /** Resources that must exist first: Istio's CRDs and istiod (its webhook validates these objects). */
    istioReady?: pulumi.Resource[];
}

/**
 * The Bookinfo routing of one mode: a DestinationRule per service with a subset per version,
 * VirtualServices pinning productpage, ratings and details to v1, and the reviews VirtualService
 * the mode calls for (none in round-robin). Object names are stable across modes, so switching
 * between modes updates, creates or deletes the reviews VirtualService and nothing else.
 */
export class ReviewsRouting extends pulumi.ComponentResource {
    /** The mode this routing implements. */
    public readonly mode: pulumi.Output<RoutingMode>;
    /** DestinationRules by service name. */
    public readonly destinationRules: Record<string, k8s.apiextensions.CustomResource>;
    /** VirtualServices by service name; reviews is absent in round-robin. */
    public readonly virtualServices: Record<string, k8s.apiextensions.CustomResource>;

    constructor(name: string, args: ReviewsRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-eks:index:ReviewsRouting", name, {}, opts);
        const services = args.services ?? BookinfoModel.load().serviceVersions(VERSION_LABEL);
        const plan = routingPlan(args.mode, services);
        const k8sOpts = { parent: this, provider: args.provider, dependsOn: args.istioReady };

        const destinationRules: Record<string, k8s.apiextensions.CustomResource> = {};
        for (const dr of plan.destinationRules) {
            destinationRules[dr.name] = new k8s.apiextensions.CustomResource(
                `${name}-dr-${dr.name}`,
                {
                    apiVersion: "networking.istio.io/v1",
                    kind: "DestinationRule",
                    metadata: { name: dr.name, namespace: args.namespace },
                    spec: dr.spec,
                },
                k8sOpts,
            );
        }
        const virtualServices: Record<string, k8s.apiextensions.CustomResource> = {};
        for (const vs of plan.virtualServices) {
            virtualServices[vs.name] = new k8s.apiextensions.CustomResource(
                `${name}-vs-${vs.name}`,
                {
                    apiVersion: "networking.istio.io/v1",
                    kind: "VirtualService",
                    metadata: { name: vs.name, namespace: args.namespace },
                    spec: vs.spec,
                },
                // Subsets must exist before a route names them, or requests fail meanwhile.
                {
                    ...k8sOpts,
                    dependsOn: [...(args.istioReady ?? []), destinationRules[vs.name]],
                },
            );
        }

        this.mode = pulumi.output(args.mode);
        this.destinationRules = destinationRules;
        this.virtualServices = virtualServices;
        this.registerOutputs({ mode: this.mode });
    }
}
