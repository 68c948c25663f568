import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    deployedGatewayName,
    GATEWAY_API_VERSION_V1,
    ingressGatewaySpec,
    productpageHttpRouteSpec,
    SERVICE_TYPE_ANNOTATION,
    WAIT_FOR_PROGRAMMED,
} from "../lib/gatewayApi";
import { BookinfoModel, kindOf, ManifestObject, SupportedKind } from "../lib/manifests";
import {
    Dataplane,
    DATAPLANES,
    dataplaneOf,
    INJECTION_LABEL,
    TrafficApi,
    unsupportedTrafficModel,
    WAYPOINT_FOR_LABEL,
    WAYPOINT_NAME,
    waypointSpec,
} from "../lib/trafficModel";
import {
    GATEWAY_HTTP,
    GatewayServiceType,
    LOAD_BALANCER_ANNOTATIONS,
    LoadBalancerType,
    PORT_FORWARD_LOCAL_PORT,
} from "./istioMesh";

/** The namespace label that turns on Istio's sidecar injection. */
export { INJECTION_LABEL };

/** Names of the Istio objects that expose the app. */
export const GATEWAY_NAME = "bookinfo-gateway";
export const PRODUCTPAGE_SERVICE = "productpage";

/** The product page's paths reachable through the gateway: exact or prefix matches. */
export const PRODUCTPAGE_ROUTES: readonly ({ exact: string } | { prefix: string })[] = [
    { exact: "/productpage" },
    { prefix: "/static" },
    { exact: "/login" },
    { exact: "/logout" },
    { prefix: "/api/v1/products" },
];

/** The spec of the app's Istio Gateway: HTTP on the gateway pods' port, any host. */
export function gatewaySpec(
    selector: pulumi.Input<Record<string, pulumi.Input<string>>>,
    port: pulumi.Input<number>,
) {
    return {
        selector,
        servers: [{ port: { number: port, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
    };
}

/** The spec of the VirtualService that sends the product page's paths from the gateway to it. */
export function productpageVirtualServiceSpec(productpagePort: number) {
    return {
        hosts: ["*"],
        gateways: [GATEWAY_NAME],
        http: [
            {
                match: PRODUCTPAGE_ROUTES.map((uri) => ({ uri })),
                route: [
                    {
                        destination: {
                            host: PRODUCTPAGE_SERVICE,
                            port: { number: productpagePort },
                        },
                    },
                ],
            },
        ],
    };
}

/** A revision tag's objects: the webhook configuration that injects for it, and its Service. */
export interface RevisionTagObjects {
    /** The tag's sidecar-injection webhook configuration. */
    webhook: k8s.admissionregistration.v1.MutatingWebhookConfiguration;
    /** The tag's Service, in front of the istiod it points at. */
    service: k8s.core.v1.Service;
}

/** How the app's namespace and workloads join the mesh's data plane. */
export interface DataplaneInjection {
    /**
     * The data plane the labels put the namespace in (the mesh's `dataplaneMode`). Another
     * language's SDK sends `namespaceLabels` as an output, which cannot decide what the app
     * creates: there this says it (`"ambient"` gives the app its waypoint). In TypeScript it
     * defaults to what the labels say, and must agree with them.
     */
    mode?: Dataplane;
    /** The namespace's injection label: `istio-injection=enabled`, or `istio.io/rev=<tag>`. */
    namespaceLabels: Record<string, string>;
    /** Pod-template annotations of every Deployment; a change rolls the pods onto another proxy. */
    podAnnotations: Record<string, string>;
    /** The Helm releases that must exist before the namespace: the CRDs and the injecting istiod. */
    ready: pulumi.Input<k8s.helm.v3.Release[]>;
    /** The revision tag the namespace is labelled with, if any: it must exist before the namespace too. */
    tag?: RevisionTagObjects;
}

/**
 * The data plane a mesh's injection puts the app in: its `mode`, checked against its labels
 * where they are known; with neither (labels sent as an output), sidecars.
 */
function dataplaneModeOf(dataplane: DataplaneInjection): Dataplane {
    const { mode } = dataplane;
    if (pulumi.Output.isInstance(mode)) {
        throw new Error(
            'mesh dataplane mode: a value ("sidecar" or "ambient"), not an output, since it decides what the app creates',
        );
    }
    if (mode !== undefined && !DATAPLANES.includes(mode)) {
        throw new Error(`mesh dataplane mode "${mode}": expected one of ${DATAPLANES.join(", ")}`);
    }
    if (pulumi.Output.isInstance(dataplane.namespaceLabels)) {
        return mode ?? "sidecar";
    }
    const labelled = dataplaneOf(dataplane.namespaceLabels);
    if (mode !== undefined && mode !== labelled) {
        throw new Error(
            `mesh dataplane mode "${mode}", but its namespaceLabels ${JSON.stringify(dataplane.namespaceLabels)} are ${labelled}'s`,
        );
    }
    return labelled;
}

/**
 * A Deployment (or any object with a pod template) with `annotations` added to its pod template;
 * other objects as they are.
 */
export function withPodAnnotations(
    obj: ManifestObject,
    annotations: Record<string, string>,
): ManifestObject {
    const spec = obj.spec as { template?: { metadata?: { annotations?: object } } } | undefined;
    if (spec?.template === undefined || Object.keys(annotations).length === 0) {
        return obj;
    }
    const metadata = spec.template.metadata ?? {};
    return {
        ...obj,
        spec: {
            ...spec,
            template: {
                ...spec.template,
                metadata: {
                    ...metadata,
                    annotations: { ...metadata.annotations, ...annotations },
                },
            },
        },
    };
}

/**
 * What BookinfoApp needs of the mesh: an IstioMesh has every one of these outputs, so pass the
 * mesh itself, or its outputs one by one. The ingress gateway's are needed with
 * `trafficApi: "istio"` only: with the Gateway API the app's own Gateway is the ingress.
 */
export interface MeshEndpoints {
    /**
     * The Helm releases that must be ready first: Istio's CRDs and istiod, whose webhook injects
     * the sidecars (the mesh's `ready`).
     */
    ready: pulumi.Input<k8s.helm.v3.Release[]>;
    /**
     * The data plane the app joins (the mesh's `dataplane`). Absent: namespace labelled
     * `istio-injection=enabled` after `ready`, pod templates as written.
     */
    dataplane?: DataplaneInjection;
    /** Pod labels of the ingress gateway, for the Gateway's selector (the mesh's `gatewayPodLabels`). */
    gatewayPodLabels?: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The port the gateway pods listen on for HTTP (the mesh's `gatewayHttpTargetPort`). */
    gatewayHttpTargetPort?: pulumi.Input<number>;
    /** The ingress load balancer's host (the mesh's `ingressHost`). */
    ingressHost?: pulumi.Input<string>;
    /** The ingress load balancer's HTTP port (the mesh's `ingressPort`). */
    ingressPort?: pulumi.Input<number>;
    /** With a NodePort gateway Service: the command that reaches it (the mesh's `portForwardCommand`). */
    portForwardCommand?: string;
}

/** The app's Gateway API Gateway: how Istio exposes the Service it deploys for it. */
export interface GatewayApiIngress {
    /** `"NodePort"` for clusters without load balancers. Defaults to `"LoadBalancer"`. */
    serviceType?: GatewayServiceType;
    /** On AWS, the load balancer to ask for (`"nlb"` or `"clb"`); absent: none in particular. */
    loadBalancerType?: LoadBalancerType;
}

/** Arguments of `BookinfoApp`. */
export interface BookinfoAppArgs {
    /** The mesh the app joins and is exposed by. */
    mesh: MeshEndpoints;
    /** Namespace for the app, created and labelled for injection. Defaults to `"bookinfo"`. */
    namespace?: string;
    /**
     * The app's objects as multi-document YAML: Services, ServiceAccounts and Deployments,
     * without namespaces. Defaults to the package's `manifests/bookinfo.yaml`.
     */
    manifest?: string;
    /**
     * How the product page is exposed: `"istio"`, an Istio Gateway and VirtualService on the
     * mesh's ingress gateway; `"gateway-api"`, a Gateway API Gateway (class istio) and HTTPRoute,
     * for which Istio deploys a gateway in the app's namespace. With an ambient mesh (its
     * `dataplane` labels the namespace for ambient mode), `"gateway-api"` is required and the app
     * gets a waypoint. Defaults to `"istio"`.
     */
    trafficApi?: TrafficApi;
    /** With `trafficApi: "gateway-api"`: the Service of the app's gateway. */
    gatewayApiIngress?: GatewayApiIngress;
}

type ObjectResource = k8s.core.v1.Service | k8s.core.v1.ServiceAccount | k8s.apps.v1.Deployment;

/** What TypeScript callers read of each app beyond its outputs: no package schema can type it. */
const internalsOf = new WeakMap<
    BookinfoApp,
    {
        objects: Record<string, ObjectResource>;
        waypoint?: k8s.apiextensions.CustomResource;
    }
>();

/**
 * Istio's Bookinfo sample in its own namespace, in the mesh by sidecars or ambient mode, exposed
 * through the mesh's ingress gateway by an Istio Gateway and VirtualService, or by a Gateway API
 * Gateway and HTTPRoute.
 *
 * The cluster is the one of the Kubernetes provider given in the resource options (`provider`,
 * or `providers`) or inherited from a parent; without any, Pulumi's default provider.
 */
export class BookinfoApp extends pulumi.ComponentResource {
    /** The app's namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** The product page through the ingress load balancer: `http://<host>:<port>/productpage`. */
    public readonly productPageUrl: pulumi.Output<string>;
    /** The ingress load balancer's address, or `localhost` behind `portForwardCommand`. */
    public readonly ingressHost: pulumi.Output<string>;
    /** The ingress's plain-HTTP port, or the port-forward's local port. */
    public readonly ingressPort: pulumi.Output<number>;
    /** With a NodePort ingress: the command that makes it reachable on localhost. */
    public readonly portForwardCommand?: string;
    /**
     * Ambient mode: the name of the namespace's waypoint, known once it is programmed. Give it
     * to `GatewayApiRouting`'s `waypointName`, so that the routes wait for the waypoint.
     */
    public readonly waypointName?: pulumi.Output<string>;

    constructor(name: string, args: BookinfoAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-eks:index:BookinfoApp", name, {}, opts);
        const model = BookinfoModel.fromArgument(args.manifest);
        const k8sOpts = { parent: this };
        const trafficApi = args.trafficApi ?? "istio";

        const dataplane: DataplaneInjection = args.mesh.dataplane ?? {
            namespaceLabels: INJECTION_LABEL,
            podAnnotations: {},
            ready: args.mesh.ready,
        };
        const dataplaneMode = dataplaneModeOf(dataplane);
        const unsupported = unsupportedTrafficModel({ trafficApi, dataplane: dataplaneMode });
        if (unsupported !== undefined) {
            throw new Error(
                `trafficApi "${trafficApi}" with dataplane "${dataplaneMode}": ${unsupported}`,
            );
        }
        const namespaceName = args.namespace ?? "bookinfo";
        // Pods created before istiod's webhook exists would run without sidecars.
        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: namespaceName, labels: dataplane.namespaceLabels } },
            {
                ...k8sOpts,
                dependsOn: pulumi
                    .output(dataplane.ready)
                    .apply((ready) => [
                        ...ready,
                        ...(dataplane.tag === undefined
                            ? []
                            : [dataplane.tag.webhook, dataplane.tag.service]),
                    ]),
            },
        );
        const namespace = ns.metadata.name;

        const objects: Record<string, ObjectResource> = {};
        for (const obj of model.objects) {
            const resourceName = `${name}-${obj.kind.toLowerCase()}-${obj.metadata.name}`;
            // The annotations name the proxy the pods should run: when it changes, they roll.
            // Another language's SDK may send them as an output: then the spec waits for them.
            const annotations = dataplane.podAnnotations;
            const annotated = pulumi.Output.isInstance(annotations)
                ? {
                      ...obj,
                      ...(obj.spec === undefined
                          ? {}
                          : {
                                spec: pulumi
                                    .output(annotations as Record<string, string>)
                                    .apply((a) => withPodAnnotations(obj, a).spec),
                            }),
                  }
                : withPodAnnotations(obj, annotations);
            const inputs = { ...annotated, metadata: { ...obj.metadata, namespace } };
            objects[`${kindOf(obj)}/${obj.metadata.name}`] = createObject(
                kindOf(obj) as SupportedKind,
                resourceName,
                inputs,
                k8sOpts,
            );
        }

        let waypoint: k8s.apiextensions.CustomResource | undefined;
        if (dataplaneMode === "ambient") {
            // Without a waypoint, ambient mode ignores L7 routes: the namespace label
            // istio.io/use-waypoint sends its services' traffic through this one.
            waypoint = new k8s.apiextensions.CustomResource(
                `${name}-waypoint`,
                {
                    apiVersion: GATEWAY_API_VERSION_V1,
                    kind: "Gateway",
                    metadata: {
                        name: WAYPOINT_NAME,
                        namespace,
                        labels: WAYPOINT_FOR_LABEL,
                        annotations: WAIT_FOR_PROGRAMMED,
                    },
                    spec: waypointSpec(),
                },
                { ...k8sOpts, dependsOn: args.mesh.ready },
            );
        }
        this.waypointName = waypoint?.metadata.name;

        const productpagePort = model.servicePort(PRODUCTPAGE_SERVICE);
        if (trafficApi === "istio") {
            const mesh = args.mesh;
            if (
                mesh.gatewayPodLabels === undefined ||
                mesh.gatewayHttpTargetPort === undefined ||
                mesh.ingressHost === undefined ||
                mesh.ingressPort === undefined
            ) {
                throw new Error(
                    'trafficApi "istio" needs the mesh\'s ingress gateway (IstioMesh with ingressGateway true)',
                );
            }
            new k8s.apiextensions.CustomResource(
                `${name}-gateway`,
                {
                    apiVersion: "networking.istio.io/v1",
                    kind: "Gateway",
                    metadata: { name: GATEWAY_NAME, namespace },
                    spec: gatewaySpec(mesh.gatewayPodLabels, mesh.gatewayHttpTargetPort),
                },
                { ...k8sOpts, dependsOn: args.mesh.ready },
            );
            new k8s.apiextensions.CustomResource(
                `${name}-vs-bookinfo`,
                {
                    apiVersion: "networking.istio.io/v1",
                    kind: "VirtualService",
                    metadata: { name: "bookinfo", namespace },
                    spec: productpageVirtualServiceSpec(productpagePort),
                },
                { ...k8sOpts, dependsOn: args.mesh.ready },
            );
            this.ingressHost = pulumi.output(mesh.ingressHost);
            this.ingressPort = pulumi.output(mesh.ingressPort);
            this.portForwardCommand = mesh.portForwardCommand;
        } else {
            const ingress = this.gatewayApiIngress(
                name,
                namespaceName,
                namespace,
                productpagePort,
                args,
            );
            this.ingressHost = ingress.host;
            this.ingressPort = ingress.port;
            this.portForwardCommand = ingress.portForwardCommand;
        }

        this.namespace = namespace;
        internalsOf.set(this, { objects, waypoint });
        this.productPageUrl = pulumi.interpolate`http://${this.ingressHost}:${this.ingressPort}/productpage`;
        this.registerOutputs({
            namespace: this.namespace,
            productPageUrl: this.productPageUrl,
            ingressHost: this.ingressHost,
            ingressPort: this.ingressPort,
            portForwardCommand: this.portForwardCommand,
            waypointName: this.waypointName,
        });
    }

    /**
     * The app's Kubernetes objects by `apiVersion/kind/name`, e.g. `apps/v1/Deployment/reviews-v2`
     * (TypeScript only: a package schema has no type for a mix of kinds).
     */
    public get objects(): Record<string, ObjectResource> {
        return internalsOf.get(this)?.objects ?? {};
    }

    /** Ambient mode: the namespace's waypoint, which applies L7 routing (TypeScript only). */
    public get waypoint(): k8s.apiextensions.CustomResource | undefined {
        return internalsOf.get(this)?.waypoint;
    }

    /**
     * The Gateway API ingress: a Gateway of class istio (Istio deploys its Deployment and
     * Service, named `<gateway>-istio`), waited for until programmed, and the HTTPRoute of the
     * product page's paths. The address comes from the Gateway's status.
     */
    private gatewayApiIngress(
        name: string,
        namespaceName: string,
        namespace: pulumi.Output<string>,
        productpagePort: number,
        args: BookinfoAppArgs,
    ) {
        const k8sOpts = { parent: this };
        const serviceType = args.gatewayApiIngress?.serviceType ?? "LoadBalancer";
        const lbType = args.gatewayApiIngress?.loadBalancerType;
        const serviceAnnotations =
            serviceType === "LoadBalancer" && lbType !== undefined
                ? LOAD_BALANCER_ANNOTATIONS[lbType]
                : {};
        const gateway = new k8s.apiextensions.CustomResource(
            `${name}-ingress-gateway`,
            {
                apiVersion: GATEWAY_API_VERSION_V1,
                kind: "Gateway",
                metadata: {
                    name: GATEWAY_NAME,
                    namespace,
                    annotations: {
                        ...WAIT_FOR_PROGRAMMED,
                        // Delete the Service Istio deployed (and its load balancer) before the Gateway is gone.
                        "pulumi.com/deletionPropagationPolicy": "foreground",
                        ...(serviceType === "NodePort"
                            ? { [SERVICE_TYPE_ANNOTATION]: "NodePort" }
                            : {}),
                    },
                },
                spec: ingressGatewaySpec(GATEWAY_HTTP.port, serviceAnnotations),
                // Declared so that the Gateway's status (its address) is an output.
                status: undefined,
            },
            { ...k8sOpts, dependsOn: args.mesh.ready },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-route-bookinfo`,
            {
                apiVersion: GATEWAY_API_VERSION_V1,
                kind: "HTTPRoute",
                metadata: { name: "bookinfo", namespace },
                spec: productpageHttpRouteSpec(
                    GATEWAY_NAME,
                    PRODUCTPAGE_SERVICE,
                    productpagePort,
                    PRODUCTPAGE_ROUTES,
                ),
            },
            {
                ...k8sOpts,
                dependsOn: pulumi.output(args.mesh.ready).apply((ready) => [...ready, gateway]),
            },
        );
        if (serviceType === "NodePort") {
            return {
                host: pulumi.output("localhost"),
                port: pulumi.output(PORT_FORWARD_LOCAL_PORT),
                portForwardCommand:
                    `kubectl port-forward -n ${namespaceName} svc/${deployedGatewayName(GATEWAY_NAME)} ` +
                    `${PORT_FORWARD_LOCAL_PORT}:${GATEWAY_HTTP.port}`,
            };
        }
        const status = (gateway as unknown as { status: pulumi.Output<GatewayStatus | undefined> })
            .status;
        return {
            host: status.apply((s) => {
                const address = s?.addresses?.[0]?.value;
                if (!address) {
                    throw new Error(`Gateway ${namespaceName}/${GATEWAY_NAME} has no address`);
                }
                return address;
            }),
            port: pulumi.output(GATEWAY_HTTP.port),
            portForwardCommand: undefined,
        };
    }
}

/** The part of a Gateway's status the product page URL comes from. */
interface GatewayStatus {
    addresses?: { type?: string; value: string }[];
}

function createObject(
    kind: SupportedKind,
    name: string,
    // A manifest object with its namespace set; the tests validate each against the Kubernetes schemas.
    inputs: ManifestObject,
    opts: pulumi.CustomResourceOptions,
): ObjectResource {
    switch (kind) {
        case "v1/Service":
            return new k8s.core.v1.Service(
                name,
                inputs as unknown as k8s.core.v1.ServiceArgs,
                opts,
            );
        case "v1/ServiceAccount":
            return new k8s.core.v1.ServiceAccount(
                name,
                inputs as unknown as k8s.core.v1.ServiceAccountArgs,
                opts,
            );
        case "apps/v1/Deployment":
            return new k8s.apps.v1.Deployment(
                name,
                inputs as unknown as k8s.apps.v1.DeploymentArgs,
                opts,
            );
    }
}
