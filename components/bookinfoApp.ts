import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { BookinfoModel, kindOf, ManifestObject, SupportedKind } from "../lib/manifests";

/** The namespace label that turns on Istio's sidecar injection. */
export const INJECTION_LABEL = { "istio-injection": "enabled" };

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
export function gatewaySpec(selector: Record<string, string>, port: number) {
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

/** How the app's namespace and workloads join the mesh's data plane. */
export interface DataplaneInjection {
    /** The namespace's injection label: `istio-injection=enabled`, or `istio.io/rev=<tag>`. */
    namespaceLabels: Record<string, string>;
    /** Pod-template annotations of every Deployment; a change rolls the pods onto another proxy. */
    podAnnotations: Record<string, string>;
    /** What must exist before the namespace: the CRDs, the injecting istiod and its revision tag. */
    ready: pulumi.Resource[];
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

/** What BookinfoApp needs of the mesh; {@link IstioMesh} provides it. */
export interface MeshEndpoints {
    /** Resources that must be ready first: Istio's CRDs and istiod's injection webhook. */
    ready: pulumi.Resource[];
    /**
     * The data plane the app joins. Absent: namespace labelled `istio-injection=enabled` after
     * `ready`, pod templates as written.
     */
    dataplane?: DataplaneInjection;
    /** Pod labels of the ingress gateway, for the Gateway's selector. */
    gatewayPodLabels: Record<string, string>;
    /** The port the gateway pods listen on for HTTP. */
    gatewayHttpTargetPort: number;
    /** The ingress load balancer's host and HTTP port. */
    ingressHost: pulumi.Input<string>;
    ingressPort: pulumi.Input<number>;
}

/** Arguments of {@link BookinfoApp}. */
export interface BookinfoAppArgs {
    /** The mesh the app joins and is exposed by. */
    mesh: MeshEndpoints;
    /** Namespace for the app, created and labelled for injection. Defaults to `"bookinfo"`. */
    namespace?: string;
    /** The app's objects; defaults to the project's `manifests/bookinfo.yaml`. */
    model?: BookinfoModel;
}

type ObjectResource = k8s.core.v1.Service | k8s.core.v1.ServiceAccount | k8s.apps.v1.Deployment;

/**
 * Istio's Bookinfo sample in its own namespace with sidecar injection, exposed through the
 * ingress gateway by a Gateway and a VirtualService.
 *
 * The cluster is the one of the Kubernetes provider given in the resource options (`provider`,
 * or `providers`) or inherited from a parent; without any, Pulumi's default provider.
 */
export class BookinfoApp extends pulumi.ComponentResource {
    /** The app's namespace. */
    public readonly namespace: pulumi.Output<string>;
    /** The app's Kubernetes objects by `apiVersion/kind/name`, e.g. `apps/v1/Deployment/reviews-v2`. */
    public readonly objects: Record<string, ObjectResource>;
    /** The product page through the ingress load balancer: `http://<host>:<port>/productpage`. */
    public readonly productPageUrl: pulumi.Output<string>;

    constructor(name: string, args: BookinfoAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-eks:index:BookinfoApp", name, {}, opts);
        const model = args.model ?? BookinfoModel.load();
        const k8sOpts = { parent: this };

        const dataplane = args.mesh.dataplane ?? {
            namespaceLabels: INJECTION_LABEL,
            podAnnotations: {},
            ready: args.mesh.ready,
        };
        // Pods created before istiod's webhook exists would run without sidecars.
        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: args.namespace ?? "bookinfo", labels: dataplane.namespaceLabels } },
            { ...k8sOpts, dependsOn: dataplane.ready },
        );
        const namespace = ns.metadata.name;

        const objects: Record<string, ObjectResource> = {};
        for (const obj of model.objects) {
            const resourceName = `${name}-${obj.kind.toLowerCase()}-${obj.metadata.name}`;
            // The annotations name the proxy the pods should run: when it changes, they roll.
            const annotated = withPodAnnotations(obj, dataplane.podAnnotations);
            const inputs = { ...annotated, metadata: { ...obj.metadata, namespace } };
            objects[`${kindOf(obj)}/${obj.metadata.name}`] = createObject(
                kindOf(obj) as SupportedKind,
                resourceName,
                inputs,
                k8sOpts,
            );
        }

        new k8s.apiextensions.CustomResource(
            `${name}-gateway`,
            {
                apiVersion: "networking.istio.io/v1",
                kind: "Gateway",
                metadata: { name: GATEWAY_NAME, namespace },
                spec: gatewaySpec(args.mesh.gatewayPodLabels, args.mesh.gatewayHttpTargetPort),
            },
            { ...k8sOpts, dependsOn: args.mesh.ready },
        );
        new k8s.apiextensions.CustomResource(
            `${name}-vs-bookinfo`,
            {
                apiVersion: "networking.istio.io/v1",
                kind: "VirtualService",
                metadata: { name: "bookinfo", namespace },
                spec: productpageVirtualServiceSpec(model.servicePort(PRODUCTPAGE_SERVICE)),
            },
            { ...k8sOpts, dependsOn: args.mesh.ready },
        );

        this.namespace = namespace;
        this.objects = objects;
        this.productPageUrl = pulumi.interpolate`http://${args.mesh.ingressHost}:${args.mesh.ingressPort}/productpage`;
        this.registerOutputs({ namespace: this.namespace, productPageUrl: this.productPageUrl });
    }
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
