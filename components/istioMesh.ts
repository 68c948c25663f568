import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { GatewayServiceType, LoadBalancerType } from "../lib/gatewayService";
import { revisionTagService, revisionTagWebhook } from "../lib/revisionTags";
import { ISTIO_CHART_REPO, ControlPlane, meshPlan, MeshPlan, RevisionTag } from "../lib/upgrade";
import {
    AMBIENT_DATAPLANE_ANNOTATION,
    Dataplane,
    GatewayApiCrdSource,
    namespaceLabels,
} from "../lib/trafficModel";
import type { DataplaneInjection } from "./bookinfoApp";
import { GatewayApiCrds } from "./gatewayApiCrds";

/** Namespace of Istio's control plane (istiod and the CRDs' webhooks). */
export const ISTIO_NAMESPACE = "istio-system";

/** Namespace of the ingress gateway, apart from the control plane as Istio recommends. */
export const GATEWAY_NAMESPACE = "istio-ingress";

/** Helm release names; fixed so nothing gets a random suffix. */
export const RELEASE_NAMES = {
    base: "istio-base",
    istiod: "istiod",
    gateway: "istio-ingressgateway",
    cni: "istio-cni",
    ztunnel: "ztunnel",
} as const;

/**
 * The gateway chart's Service ports. The chart maps port 80 to 80 (not 8080, as the sample's
 * Gateway for other installs assumes), so Gateway servers must listen on the target port.
 */
export const GATEWAY_SERVICE_PORTS = [
    { name: "status-port", port: 15021, protocol: "TCP", targetPort: 15021 },
    { name: "http2", port: 80, protocol: "TCP", targetPort: 80 },
    { name: "https", port: 443, protocol: "TCP", targetPort: 443 },
] as const;

/** The gateway Service's plain-HTTP port. */
export const GATEWAY_HTTP = GATEWAY_SERVICE_PORTS[1];

// Defined beside the config that parses them (one source for the values); part of this
// component's public API, as its arguments' types.
export { GatewayServiceType, LoadBalancerType } from "../lib/gatewayService";

/**
 * The local port of the `kubectl port-forward` that reaches a NodePort gateway (clusters
 * without load balancers, such as kind); the product page URL assumes it.
 */
export const PORT_FORWARD_LOCAL_PORT = 8080;

/** AWS load balancer kinds for the gateway Service, and the Service annotations that ask for each. */
export const LOAD_BALANCER_ANNOTATIONS: Record<LoadBalancerType, Record<string, string>> = {
    // A Network Load Balancer from the in-tree AWS cloud provider; no controller to install.
    nlb: { "service.beta.kubernetes.io/aws-load-balancer-type": "nlb" },
    // No annotation: the cloud provider's default, a Classic Load Balancer.
    clb: {},
};

/**
 * The gateway release's values that decide its load balancer. The in-tree AWS cloud provider
 * picks NLB or Classic from the Service's current annotation, so changing them in place (nlb to
 * clb, LoadBalancer to NodePort) leaves the old load balancer behind, and with it ENIs that then
 * block deleting the subnets. A change of either replaces the release instead, old one first.
 */
export const GATEWAY_LOAD_BALANCER_VALUES = ["values.service.type", "values.service.annotations"];

/**
 * How long, in seconds, the gateway release's install may wait for its load balancer and, more
 * to the point, its uninstall for the Service to be gone: the cloud provider's finalizer holds
 * the Service until the load balancer is deleted, which can outlast Helm's default 5 minutes.
 */
export const GATEWAY_RELEASE_TIMEOUT_SECONDS = 15 * 60;

/**
 * The pod labels the gateway chart gives a release: `app: <release>`, and `istio: <release
 * without the "istio-" prefix>`; Gateway resources select on them.
 */
export function gatewayPodLabels(releaseName: string): Record<string, string> {
    return { app: releaseName, istio: releaseName.replace(/^istio-/, "") };
}

/** Arguments of `IstioMesh`. */
export interface IstioMeshArgs {
    /** Version of the charts base, istiod and gateway, e.g. `"1.30.5"`: the stable control plane's. */
    version: string;
    /**
     * Revision of the stable control plane. Absent: Istio's default, unrevisioned install. After
     * promoting a canary, the canary's revision (e.g. `"1-31-1"`).
     */
    revision?: string;
    /**
     * A canary control plane's version (e.g. `"1.31.1"`), installed beside the stable one as
     * revision `1-31-1`, with revision tags `stable` and `canary` pointing at the two.
     */
    canaryVersion?: string;
    /**
     * The revision tag the app's workloads and the gateway follow: `"stable"` (default) or
     * `"canary"`. Switching it rolls them onto the other control plane.
     */
    dataplaneRevision?: RevisionTag;
    /**
     * How the ingress gateway's Service is exposed. `"NodePort"` suits clusters without load
     * balancers (kind, minikube): reach it with the mesh's `portForwardCommand`.
     * Defaults to `"LoadBalancer"`.
     */
    serviceType?: GatewayServiceType;
    /**
     * On AWS, the load balancer a LoadBalancer Service gets: `"nlb"` or `"clb"`. Absent: no
     * cloud-specific annotation, whatever the cluster's cloud provider does by default.
     */
    loadBalancerType?: LoadBalancerType;
    /**
     * Extra mesh config for istiod (the chart's `meshConfig` value, merged over the chart's own),
     * e.g. `tracingMeshConfig()` for MeshObservability's tracing. Absent: none.
     */
    // Any JSON value: the package schema's Any (an `unknown` there has no schema type).
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    meshConfig?: Record<string, any>;
    /**
     * Istio's data plane: `"sidecar"` (injected proxies), or `"ambient"` (istiod's ambient
     * profile, the `cni` and `ztunnel` charts, no sidecars; the app's namespace labelled for
     * ambient mode and its waypoint). Ambient takes no canary control plane or revision: Istio
     * upgrades ztunnel in place. Defaults to `"sidecar"`.
     */
    dataplaneMode?: Dataplane;
    /**
     * Whether to install the gateway chart's ingress gateway, which Istio's Gateway objects
     * select. With the Kubernetes Gateway API, Istio deploys the ingress itself from a Gateway
     * object, and this is not needed. Defaults to true.
     */
    ingressGateway?: boolean;
    /**
     * The Kubernetes Gateway API's CRDs, for routing in the Gateway API: `"install"` applies the
     * standard channel of the release Istio requires before istiod (as Istio's docs order it);
     * `"existing"` uses the cluster's own, never changing them. Absent: none.
     */
    gatewayApiCrds?: GatewayApiCrdSource;
}

/** A revision tag's objects, as `tags` gives them: its webhook configuration and its Service. */
type TagObjects = [k8s.admissionregistration.v1.MutatingWebhookConfiguration, k8s.core.v1.Service];

/** What TypeScript callers read of each mesh beyond its outputs: no package schema can type it. */
const internalsOf = new WeakMap<
    IstioMesh,
    {
        tags: Partial<Record<RevisionTag, TagObjects>>;
        plan: MeshPlan;
        gatewayApiCrds?: GatewayApiCrds;
    }
>();

/**
 * Istio installed from its official Helm charts: base (CRDs), then istiod, then an ingress
 * gateway behind an AWS load balancer, each release waiting until the previous one is ready; in
 * ambient mode, the CNI node agent and ztunnel after istiod, in the order Istio documents.
 * Uninstalling waits too, so the load balancer is gone before the cluster is.
 *
 * The cluster is the one of the Kubernetes provider given in the resource options (`provider`,
 * or `providers`) or inherited from a parent; without any, Pulumi's default provider.
 */
export class IstioMesh extends pulumi.ComponentResource {
    /** The `base` release: Istio's CRDs. */
    public readonly base: k8s.helm.v3.Release;
    /** The stable control plane's `istiod` release, with its sidecar-injection webhook. */
    public readonly istiod: k8s.helm.v3.Release;
    /** The canary control plane's `istiod` release, when there is one. */
    public readonly canaryIstiod?: k8s.helm.v3.Release;
    /** The `gateway` release: the ingress gateway and its LoadBalancer Service (absent without `ingressGateway`). */
    public readonly gateway?: k8s.helm.v3.Release;
    /** Ambient mode: the `cni` release, the node agent that redirects pod traffic to ztunnel. */
    public readonly cni?: k8s.helm.v3.Release;
    /** Ambient mode: the `ztunnel` release, the per-node proxy (mutual TLS, L4). */
    public readonly ztunnel?: k8s.helm.v3.Release;
    /**
     * What mesh objects and workloads must wait for: the CRDs and a ready istiod (which waits
     * for the Gateway API's CRDs, when given), and in ambient mode the CNI agent and ztunnel.
     * Pass it to `dependsOn`, or to BookinfoApp and ReviewsRouting.
     */
    public readonly ready: k8s.helm.v3.Release[];
    /**
     * How the app's namespace and workloads join the mesh: the namespace's injection label, the
     * pod-template annotations that roll workloads onto another proxy, and what must exist first.
     */
    public readonly dataplane: DataplaneInjection;
    /** The pod labels of the ingress gateway, for Gateway selectors. */
    public readonly gatewayPodLabels?: Record<string, string>;
    /** The port the gateway pods listen on for plain HTTP: a Gateway server's port. */
    public readonly gatewayHttpTargetPort?: number;
    /**
     * The load balancer's address: a hostname on AWS (an IP on some other clouds). With a
     * NodePort Service, `localhost`, through `portForwardCommand`.
     */
    public readonly ingressHost?: pulumi.Output<string>;
    /** The load balancer's plain-HTTP port, or the port-forward's local port. */
    public readonly ingressPort?: pulumi.Output<number>;
    /** With a NodePort Service: the command that makes the gateway reachable on localhost. */
    public readonly portForwardCommand?: string;

    constructor(name: string, args: IstioMeshArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-eks:index:IstioMesh", name, {}, opts);
        const k8sOpts = { parent: this };
        const serviceType = args.serviceType ?? "LoadBalancer";
        const plan = meshPlan(args);
        const ambient = (args.dataplaneMode ?? "sidecar") === "ambient";
        if (ambient && plan.tags.length > 0) {
            throw new Error(
                "IstioMesh: ambient mode takes no canary control plane or revision (Istio upgrades ztunnel in place)",
            );
        }
        const chart = (chartName: string, version: string) => ({
            chart: chartName,
            version,
            repositoryOpts: { repo: ISTIO_CHART_REPO },
        });

        const systemNs = new k8s.core.v1.Namespace(
            `${name}-system`,
            { metadata: { name: ISTIO_NAMESPACE } },
            k8sOpts,
        );
        // The Kubernetes Gateway API's CRDs, when routing uses them: istiod finds them when it starts.
        const gatewayApiCrds =
            args.gatewayApiCrds === undefined
                ? undefined
                : new GatewayApiCrds(
                      `${name}-gateway-api`,
                      { source: args.gatewayApiCrds },
                      k8sOpts,
                  );

        // The CRDs at the newest control plane's version, before any control plane is installed
        // or upgraded; and the revision that validates Istio objects.
        this.base = new k8s.helm.v3.Release(
            `${name}-base`,
            {
                ...chart("base", plan.baseVersion),
                name: RELEASE_NAMES.base,
                namespace: systemNs.metadata.name,
                values: { defaultRevision: plan.defaultRevision },
            },
            k8sOpts,
        );
        // One release per control plane, named after its revision, so that a canary and its
        // promotion never rename (and so replace) a release.
        const istiod = (cp: ControlPlane) =>
            new k8s.helm.v3.Release(
                cp.revision === "" ? `${name}-istiod` : `${name}-istiod-${cp.revision}`,
                {
                    ...chart("istiod", cp.version),
                    name: cp.releaseName,
                    namespace: systemNs.metadata.name,
                    values: {
                        ...(ambient ? { profile: "ambient" } : {}),
                        ...(cp.revision === "" ? {} : { revision: cp.revision }),
                        // Every control plane runs the same mesh configuration.
                        ...(args.meshConfig === undefined ? {} : { meshConfig: args.meshConfig }),
                    },
                },
                { ...k8sOpts, dependsOn: [this.base, ...(gatewayApiCrds?.ready ?? [])] },
            );
        const [stable, canary] = plan.controlPlanes;
        this.istiod = istiod(stable);
        this.canaryIstiod = canary === undefined ? undefined : istiod(canary);
        const releaseOf = (revision: string) =>
            revision === stable.revision ? this.istiod : this.canaryIstiod!;

        // Each tag after the control plane it points at, whose istiod fills in its CA bundle.
        const tags: Partial<Record<RevisionTag, TagObjects>> = {};
        for (const { tag, revision } of plan.tags) {
            const tagOpts = { ...k8sOpts, dependsOn: [releaseOf(revision)] };
            tags[tag] = [
                new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
                    `${name}-tag-${tag}`,
                    revisionTagWebhook(tag, revision, ISTIO_NAMESPACE),
                    tagOpts,
                ),
                new k8s.core.v1.Service(
                    `${name}-tag-${tag}-service`,
                    revisionTagService(tag, revision, ISTIO_NAMESPACE),
                    tagOpts,
                ),
            ];
        }
        const dataplaneTag = plan.dataplaneTag === undefined ? [] : tags[plan.dataplaneTag]!;
        const injector = [releaseOf(plan.dataplane.revision), ...dataplaneTag];
        internalsOf.set(this, { tags, plan, gatewayApiCrds });
        this.ready = [this.base, this.istiod];
        const [webhook, service] = dataplaneTag;
        this.dataplane = {
            mode: "sidecar",
            namespaceLabels: plan.namespaceLabels,
            podAnnotations: plan.podAnnotations,
            ready: [this.base, releaseOf(plan.dataplane.revision)],
            ...(webhook === undefined || service === undefined
                ? {}
                : { tag: { webhook, service } }),
        };

        // Ambient mode, in Istio's Helm install order (base, istiod, cni, ztunnel), every chart
        // at the control plane's version. The app's pods wait for both: a pod started before the
        // CNI agent is not captured into the mesh.
        if (ambient) {
            const cni = new k8s.helm.v3.Release(
                `${name}-cni`,
                {
                    ...chart("cni", stable.version),
                    name: RELEASE_NAMES.cni,
                    namespace: systemNs.metadata.name,
                    values: { profile: "ambient" },
                },
                { ...k8sOpts, dependsOn: [this.istiod] },
            );
            const ztunnel = new k8s.helm.v3.Release(
                `${name}-ztunnel`,
                {
                    ...chart("ztunnel", stable.version),
                    name: RELEASE_NAMES.ztunnel,
                    namespace: systemNs.metadata.name,
                    values: {},
                },
                { ...k8sOpts, dependsOn: [cni] },
            );
            this.cni = cni;
            this.ztunnel = ztunnel;
            this.ready.push(cni, ztunnel);
            this.dataplane = {
                mode: "ambient",
                namespaceLabels: namespaceLabels("ambient"),
                // Pods join or leave the sidecar mesh only when they start: a switch rolls them.
                podAnnotations: {
                    ...plan.podAnnotations,
                    [AMBIENT_DATAPLANE_ANNOTATION]: "ambient",
                },
                ready: [...this.ready],
            };
        }

        // With the Gateway API, Istio deploys the ingress from a Gateway object instead.
        if (!(args.ingressGateway ?? true)) {
            this.registerOutputs({});
            return;
        }
        const gatewayNs = new k8s.core.v1.Namespace(
            `${name}-ingress`,
            { metadata: { name: GATEWAY_NAMESPACE } },
            k8sOpts,
        );
        this.gateway = new k8s.helm.v3.Release(
            `${name}-gateway`,
            {
                ...chart("gateway", plan.gatewayVersion),
                name: RELEASE_NAMES.gateway,
                namespace: gatewayNs.metadata.name,
                // Uninstall uses the timeout recorded by the last deploy: one more reason to set it here.
                timeout: GATEWAY_RELEASE_TIMEOUT_SECONDS,
                values: {
                    // The chart labels the pods istio.io/rev=<revision>: the tag's injector takes them.
                    ...(plan.gatewayRevision === "" ? {} : { revision: plan.gatewayRevision }),
                    // Merged into the chart's own pod annotations; a change rolls the gateway.
                    podAnnotations: plan.podAnnotations,
                    service: {
                        type: serviceType,
                        ports: GATEWAY_SERVICE_PORTS,
                        annotations:
                            serviceType === "LoadBalancer" && args.loadBalancerType !== undefined
                                ? LOAD_BALANCER_ANNOTATIONS[args.loadBalancerType]
                                : {},
                    },
                },
            },
            {
                ...k8sOpts,
                // The gateway's pods get their proxy from istiod's injector: istiod (and its tag) first.
                dependsOn: plan.gatewayRevision === "" ? [injector[0]] : injector,
                // The old Service, and so its load balancer, goes before the new one comes.
                replaceOnChanges: GATEWAY_LOAD_BALANCER_VALUES,
                deleteBeforeReplace: true,
            },
        );

        this.gatewayPodLabels = gatewayPodLabels(RELEASE_NAMES.gateway);
        this.gatewayHttpTargetPort = GATEWAY_HTTP.targetPort;
        if (serviceType === "NodePort") {
            this.portForwardCommand =
                `kubectl port-forward -n ${GATEWAY_NAMESPACE} svc/${RELEASE_NAMES.gateway} ` +
                `${PORT_FORWARD_LOCAL_PORT}:${GATEWAY_HTTP.port}`;
            this.ingressHost = pulumi.output("localhost");
            this.ingressPort = pulumi.output(PORT_FORWARD_LOCAL_PORT);
        } else {
            // The release waits for the load balancer's address; read it from the live Service,
            // which the chart names after the release.
            const service = k8s.core.v1.Service.get(
                `${name}-gateway-service`,
                pulumi.interpolate`${this.gateway.status.namespace}/${this.gateway.status.name}`,
                { ...k8sOpts, dependsOn: [this.gateway] },
            );
            this.ingressHost = service.status.loadBalancer.ingress.apply((ingress) => {
                const first = ingress?.[0];
                const host = first?.hostname || first?.ip;
                if (!host) {
                    throw new Error(
                        `Service ${GATEWAY_NAMESPACE}/${RELEASE_NAMES.gateway} has no load balancer address`,
                    );
                }
                return host;
            });
            this.ingressPort = pulumi.output(GATEWAY_HTTP.port);
        }
        this.registerOutputs({
            ingressHost: this.ingressHost,
            ingressPort: this.ingressPort,
            gatewayPodLabels: this.gatewayPodLabels,
            portForwardCommand: this.portForwardCommand,
        });
    }

    /**
     * The revision tags' webhook configurations and Services, by tag (TypeScript only: a package
     * schema has no type for the pair).
     */
    public get tags(): Partial<Record<RevisionTag, TagObjects>> {
        return this.internals().tags;
    }

    /**
     * Control planes, tags, namespace labels and proxy versions: what the version settings decide
     * (TypeScript only).
     */
    public get plan(): MeshPlan {
        return this.internals().plan;
    }

    /** The Gateway API's CRDs, when asked for (TypeScript only: a package schema has no type for them). */
    public get gatewayApiCrds(): GatewayApiCrds | undefined {
        return this.internals().gatewayApiCrds;
    }

    private internals() {
        const internals = internalsOf.get(this);
        if (internals === undefined) {
            throw new Error("IstioMesh: read before construction ended");
        }
        return internals;
    }
}
