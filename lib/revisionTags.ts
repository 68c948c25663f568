/**
 * A revision tag's Kubernetes objects, as istiod's chart renders them from `revisionTags`
 * (templates `revision-tags-mwc.yaml` and `revision-tags-svc.yaml`) and as `istioctl tag set`
 * applies them: a MutatingWebhookConfiguration that sends pods labelled with the tag to the
 * revision's injector, and a Service that selects the revision's istiod.
 *
 * Managed as our own objects rather than through istiod releases' `revisionTags`, so moving a
 * tag is one in-place update, never two Helm releases claiming one object.
 */
import { RevisionTag } from "./upgrade";

/** The istiod Service of a revision: `istiod`, or `istiod-<revision>`. */
export function istiodService(revision: string): string {
    return revision === "" ? "istiod" : `istiod-${revision}`;
}

/** The value of `istio.io/rev` that names a revision on Istio's objects. */
export function revisionLabel(revision: string): string {
    return revision === "" ? "default" : revision;
}

const injectPods = {
    sideEffects: "None",
    rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"] }],
    failurePolicy: "Fail",
    reinvocationPolicy: "Never",
    admissionReviewVersions: ["v1"],
};

/**
 * The webhook configuration of a tag. It carries no CA bundle: the istiod whose revision its
 * `istio.io/rev` label names patches it in, as it does its own webhooks.
 */
export function revisionTagWebhook(tag: RevisionTag, revision: string, istioNamespace: string) {
    const clientConfig = {
        service: {
            name: istiodService(revision),
            namespace: istioNamespace,
            path: "/inject",
            port: 443,
        },
    };
    const notDisabled = { key: "sidecar.istio.io/inject", operator: "NotIn", values: ["false"] };
    return {
        apiVersion: "admissionregistration.k8s.io/v1" as const,
        kind: "MutatingWebhookConfiguration" as const,
        metadata: {
            name: `istio-revision-tag-${tag}`,
            labels: {
                "istio.io/tag": tag,
                "istio.io/rev": revisionLabel(revision),
                app: "sidecar-injector",
                "app.kubernetes.io/name": "istiod",
            },
        },
        webhooks: [
            {
                // Pods in a namespace labelled istio.io/rev=<tag>.
                name: "rev.namespace.sidecar-injector.istio.io",
                clientConfig,
                ...injectPods,
                namespaceSelector: {
                    matchExpressions: [
                        { key: "istio.io/rev", operator: "In", values: [tag] },
                        { key: "istio-injection", operator: "DoesNotExist" },
                    ],
                },
                objectSelector: { matchExpressions: [notDisabled] },
            },
            {
                // Pods labelled istio.io/rev=<tag> in an unlabelled namespace (the gateway's).
                name: "rev.object.sidecar-injector.istio.io",
                clientConfig,
                ...injectPods,
                namespaceSelector: {
                    matchExpressions: [
                        { key: "istio.io/rev", operator: "DoesNotExist" },
                        { key: "istio-injection", operator: "DoesNotExist" },
                    ],
                },
                objectSelector: {
                    matchExpressions: [
                        notDisabled,
                        { key: "istio.io/rev", operator: "In", values: [tag] },
                    ],
                },
            },
        ],
    };
}

/** The Service of a tag: istiod's ports, selecting the revision's istiod pods. */
export function revisionTagService(tag: RevisionTag, revision: string, istioNamespace: string) {
    return {
        apiVersion: "v1" as const,
        kind: "Service" as const,
        metadata: {
            name: `istiod-revision-tag-${tag}`,
            namespace: istioNamespace,
            labels: {
                "istio.io/tag": tag,
                "istio.io/rev": revisionLabel(revision),
                app: "istiod",
                istio: "pilot",
            },
        },
        spec: {
            ports: [
                { port: 15010, name: "grpc-xds", protocol: "TCP" },
                { port: 15012, name: "https-dns", protocol: "TCP" },
                { port: 443, name: "https-webhook", targetPort: 15017, protocol: "TCP" },
                { port: 15014, name: "http-monitoring", protocol: "TCP" },
            ],
            // As istiod's chart selects them: a revision's pods by istio.io/rev, the default's by istio=pilot.
            selector: (revision === ""
                ? { app: "istiod", istio: "pilot" }
                : { app: "istiod", "istio.io/rev": revision }) as Record<string, string>,
        },
    };
}
