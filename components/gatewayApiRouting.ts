import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { GATEWAY_API_VERSION_V1, gatewayApiPlan, versionServices } from "../lib/gatewayApi";
import { BookinfoModel } from "../lib/manifests";
import {
    expectedShares,
    ExpectedShares,
    MtlsMode,
    RatingsFaultSpec,
    REVIEWS_SERVICE,
    RoutingMode,
    trafficOptionsOf,
    VERSION_LABEL,
} from "../lib/routing";

/** Arguments of {@link GatewayApiRouting}. */
export interface GatewayApiRoutingArgs {
    /** The app's namespace; routes and per-version Services live beside the services they route. */
    namespace: pulumi.Input<string>;
    /** The routing mode (see `ROUTING_MODES`). */
    mode: RoutingMode;
    /** Percent of reviews traffic for v3 in mode `canary`, a whole number from 0 to 100. Defaults to 10. */
    canaryWeight?: number;
    /**
     * A fault for the test user's requests to ratings: `{ kind: "delay", fixedDelay: "7s" }` or
     * `{ kind: "abort", httpStatus: 500 }`. The Gateway API has none, so ratings then gets a
     * VirtualService instead of its HTTPRoute. Defaults to none.
     */
    ratingsFault?: RatingsFaultSpec;
    /**
     * A request timeout for reviews, as an Istio duration in whole milliseconds (`"0.5s"`,
     * `"500ms"`); the HTTPRoute carries it as `timeouts.request`. Defaults to none.
     */
    reviewsTimeout?: string;
    /** Mutual TLS in the namespace: `"strict"` refuses plain-text traffic into the app. Defaults to `"permissive"`. */
    mtls?: MtlsMode;
    /**
     * The app's objects as multi-document YAML (as `BookinfoApp`'s `manifest`): each Service gets
     * a Service per version of the pods it selects. Defaults to the package's `manifests/bookinfo.yaml`.
     */
    manifest?: string;
    /**
     * The Helm releases that must be ready first: Istio's CRDs and istiod, whose webhook
     * validates these objects, and which waits for the Gateway API CRDs (an IstioMesh's `ready`).
     */
    istioReady?: pulumi.Input<k8s.helm.v3.Release[]>;
    /**
     * In ambient mode, the name of the app namespace's waypoint, as `BookinfoApp`'s
     * `waypointName` output gives it once the waypoint is programmed: the routes wait for it,
     * since ambient ignores L7 routes without a waypoint. Absent with sidecars.
     */
    waypointName?: pulumi.Input<string>;
}

/** The routing objects of each GatewayApiRouting, for TypeScript callers. */
interface RoutingObjects {
    httpRoutes: Record<string, k8s.apiextensions.CustomResource>;
    virtualServices: Record<string, k8s.apiextensions.CustomResource>;
    peerAuthentication: k8s.apiextensions.CustomResource;
}
const routingObjectsOf = new WeakMap<GatewayApiRouting, RoutingObjects>();

/**
 * The Bookinfo traffic policy in the Kubernetes Gateway API: a Service per version of every app
 * Service, an HTTPRoute per service whose parent is that Service (pinning to v1, or the reviews
 * route of the mode and timeout), a VirtualService for ratings only when a fault is asked for,
 * and the namespace's PeerAuthentication. Names are stable across modes, so a switch of mode
 * changes the reviews HTTPRoute and nothing else in the stack.
 *
 * The cluster is the one of the Kubernetes provider given in the resource options (`provider`,
 * or `providers`) or inherited from a parent; without any, Pulumi's default provider.
 */
export class GatewayApiRouting extends pulumi.ComponentResource {
    /** The mode this routing implements. */
    public readonly mode: pulumi.Output<RoutingMode>;
    /** For each reader (anonymous, jason), the expected share of each reviews version. */
    public readonly expectedShares: pulumi.Output<ExpectedShares>;
    /** The per-version Services by name (`reviews-v2`). */
    public readonly versionServices: Record<string, k8s.core.v1.Service>;

    constructor(name: string, args: GatewayApiRoutingArgs, opts?: pulumi.ComponentResourceOptions) {
        // The mode, fault and manifest are checked before anything is registered.
        const model = BookinfoModel.fromArgument(args.manifest);
        const services = model.serviceVersions(VERSION_LABEL);
        const options = trafficOptionsOf(args);
        const plan = gatewayApiPlan(services, model.servicePort(REVIEWS_SERVICE), options);
        super("istio-eks:index:GatewayApiRouting", name, {}, opts);
        const k8sOpts = { parent: this };
        // Everything waits for Istio; the waypoint's name is an output of the waypoint, so
        // waiting on it waits for the waypoint to be programmed.
        const ready = pulumi
            .all([args.istioReady ?? [], args.waypointName])
            .apply(([releases]) => releases);
        const object = (apiVersion: string, kind: string, objectName: string, spec: object) => ({
            apiVersion,
            kind,
            metadata: { name: objectName, namespace: args.namespace },
            spec,
        });

        const versioned: Record<string, k8s.core.v1.Service> = {};
        for (const svc of versionServices(model, VERSION_LABEL)) {
            versioned[svc.metadata.name] = new k8s.core.v1.Service(
                `${name}-svc-${svc.metadata.name}`,
                {
                    ...svc,
                    metadata: { ...svc.metadata, namespace: args.namespace },
                } as k8s.core.v1.ServiceArgs,
                k8sOpts,
            );
        }
        // Routes wait for the Services they send traffic to, or requests fail meanwhile.
        const routeOpts = {
            ...k8sOpts,
            dependsOn: ready.apply((releases) => [...releases, ...Object.values(versioned)]),
        };
        const httpRoutes: Record<string, k8s.apiextensions.CustomResource> = {};
        for (const route of plan.httpRoutes) {
            httpRoutes[route.name] = new k8s.apiextensions.CustomResource(
                `${name}-route-${route.name}`,
                object(GATEWAY_API_VERSION_V1, "HTTPRoute", route.name, route.spec),
                routeOpts,
            );
        }
        const virtualServices: Record<string, k8s.apiextensions.CustomResource> = {};
        for (const vs of plan.virtualServices) {
            virtualServices[vs.name] = new k8s.apiextensions.CustomResource(
                `${name}-vs-${vs.name}`,
                object("networking.istio.io/v1", "VirtualService", vs.name, vs.spec),
                routeOpts,
            );
        }
        const pa = plan.peerAuthentication;
        const peerAuthentication = new k8s.apiextensions.CustomResource(
            `${name}-peer-authentication`,
            object("security.istio.io/v1", "PeerAuthentication", pa.name, pa.spec),
            { ...k8sOpts, dependsOn: ready },
        );

        this.mode = pulumi.output(args.mode);
        this.expectedShares = pulumi.output(
            expectedShares(options, services[REVIEWS_SERVICE] ?? []),
        );
        this.versionServices = versioned;
        routingObjectsOf.set(this, { httpRoutes, virtualServices, peerAuthentication });
        this.registerOutputs({
            mode: this.mode,
            expectedShares: this.expectedShares,
            versionServices: this.versionServices,
        });
    }

    /** HTTPRoutes by service name; reviews is absent in round-robin without a timeout (TypeScript only). */
    public get httpRoutes(): Record<string, k8s.apiextensions.CustomResource> {
        return routingObjectsOf.get(this)?.httpRoutes ?? {};
    }

    /** VirtualServices by service name: ratings, with a fault only (TypeScript only). */
    public get virtualServices(): Record<string, k8s.apiextensions.CustomResource> {
        return routingObjectsOf.get(this)?.virtualServices ?? {};
    }

    /** The namespace-wide PeerAuthentication (TypeScript only). */
    public get peerAuthentication(): k8s.apiextensions.CustomResource {
        return routingObjectsOf.get(this)!.peerAuthentication;
    }
}
