import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    BookinfoModel,
    kindOf,
    ManifestObject,
    parseManifest,
    SupportedKind,
} from "../lib/manifests";

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
 * mesh itself, or its outputs one by one.
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
    gatewayPodLabels: pulumi.Input<Record<string, pulumi.Input<string>>>;
    /** The port the gateway pods listen on for HTTP (the mesh's `gatewayHttpTargetPort`). */
    gatewayHttpTargetPort: pulumi.Input<number>;
    /** The ingress load balancer's host (the mesh's `ingressHost`). */
    ingressHost: pulumi.Input<string>;
    /** The ingress load balancer's HTTP port (the mesh's `ingressPort`). */
    ingressPort: pulumi.Input<number>;
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
}

type ObjectResource = k8s.core.v1.Service | k8s.core.v1.ServiceAccount | k8s.apps.v1.Deployment;

/** Each app's objects: TypeScript callers reach them by `objects`, which no package schema can type. */
const objectsOf = new WeakMap<BookinfoApp, Record<string, ObjectResource>>();

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
    /** The product page through the ingress load balancer: `http://<host>:<port>/productpage`. */
    public readonly productPageUrl: pulumi.Output<string>;

    constructor(name: string, args: BookinfoAppArgs, opts?: pulumi.ComponentResourceOptions) {
        super("istio-eks:index:BookinfoApp", name, {}, opts);
        const model =
            args.manifest === undefined
                ? BookinfoModel.load()
                : new BookinfoModel(
                      parseManifest(args.manifest, "the manifest argument"),
                      "the manifest argument",
                  );
        const k8sOpts = { parent: this };

        const dataplane: DataplaneInjection = args.mesh.dataplane ?? {
            namespaceLabels: INJECTION_LABEL,
            podAnnotations: {},
            ready: args.mesh.ready,
        };
        // Pods created before istiod's webhook exists would run without sidecars.
        const ns = new k8s.core.v1.Namespace(
            `${name}-ns`,
            { metadata: { name: args.namespace ?? "bookinfo", labels: dataplane.namespaceLabels } },
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
        objectsOf.set(this, objects);
        this.productPageUrl = pulumi.interpolate`http://${args.mesh.ingressHost}:${args.mesh.ingressPort}/productpage`;
        this.registerOutputs({ namespace: this.namespace, productPageUrl: this.productPageUrl });
    }

    /**
     * The app's Kubernetes objects by `apiVersion/kind/name`, e.g. `apps/v1/Deployment/reviews-v2`
     * (TypeScript only: a package schema has no type for a mix of kinds).
     */
    public get objects(): Record<string, ObjectResource> {
        return objectsOf.get(this) ?? {};
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
