/**
 * The stack settings, declared once: every key of the `istio-eks` namespace with its type,
 * default and meaning ({@link CONFIG_KEYS}), the values and bounds they allow, and the typed
 * {@link StackConfig} that `parseConfig` (lib/config.ts) turns them into.
 * `Pulumi.yaml` declares the same keys with the same defaults; a test keeps the two equal.
 */
import type { ExistingVpc } from "../components/eksCluster";

import {
    DEFAULT_ROUTING_MODE,
    defaultTrafficOptions,
    MtlsMode,
    ROUTING_MODE_NAMES,
    TrafficOptions,
} from "./routing";
import { DEFAULT_TRACING_SAMPLING } from "./observability";
import { REVISION_TAGS, RevisionTag } from "./upgrade";
import {
    GATEWAY_SERVICE_TYPES,
    GatewayServiceType,
    LOAD_BALANCER_TYPES,
    LoadBalancerType,
} from "./gatewayService";
import { GATEWAY_API_VERSION, GatewayApiCrdSource, TrafficModel } from "./trafficModel";

/** Where the mesh runs: a new EKS cluster, or the cluster of the Kubernetes provider's settings. */
export const CLUSTER_KINDS = ["eks", "existing"] as const;
export type ClusterKind = (typeof CLUSTER_KINDS)[number];

// The gateway's Service types and AWS load balancers: the components' enums, as setting values.
export { GATEWAY_SERVICE_TYPES, LOAD_BALANCER_TYPES } from "./gatewayService";

/** Faults the ratings service can inject for the test user. */
export const RATINGS_FAULTS = ["none", "delay", "abort"] as const;

/** Mutual TLS modes for the app's namespace. */
export const MTLS_MODES = ["permissive", "strict"] as const satisfies readonly MtlsMode[];

/** Node counts are bounded so a typo (20 for 2) cannot buy a fleet. */
export const NODE_COUNT_RANGE = { min: 1, max: 50 } as const;

/** Namespaces the app may not take: Kubernetes' own, and Istio's. */
export const RESERVED_NAMESPACES = [
    "default",
    "kube-system",
    "kube-public",
    "kube-node-lease",
    "istio-system",
    "istio-ingress",
];

/** A key the program reads: how Pulumi.yaml declares it. */
export interface ConfigKeySpec {
    readonly type: "string" | "integer" | "boolean" | "array";
    readonly default?: string | number | boolean;
    readonly description: string;
}

/** Every key of the `istio-eks` config namespace, as Pulumi.yaml declares it. */
export const CONFIG_KEYS = {
    routing: {
        type: "string",
        default: DEFAULT_ROUTING_MODE,
        description: `How reviews traffic is routed: ${ROUTING_MODE_NAMES.join(" | ")}.`,
    },
    canaryWeight: {
        type: "integer",
        default: defaultTrafficOptions().canaryWeight,
        description: "Percent of reviews traffic sent to v3 in routing canary (0 to 100).",
    },
    ratingsFault: {
        type: "string",
        default: "none",
        description: `Fault for jason's requests to ratings: ${RATINGS_FAULTS.join(" | ")}.`,
    },
    ratingsDelay: {
        type: "string",
        default: "7s",
        description: "Delay of ratingsFault delay, as an Istio duration (7s, 500ms, 1m).",
    },
    ratingsAbortStatus: {
        type: "integer",
        default: 500,
        description: "HTTP status of ratingsFault abort (400 to 599).",
    },
    reviewsTimeout: {
        type: "string",
        description: "Optional request timeout for reviews, as an Istio duration (e.g. 0.5s).",
    },
    mtls: {
        type: "string",
        default: "permissive",
        description: `Mutual TLS in the app namespace: ${MTLS_MODES.join(" | ")}.`,
    },
    observability: {
        type: "boolean",
        default: true,
        description:
            "Install Prometheus, Grafana, Jaeger and Kiali beside the mesh, and trace requests (npm run dashboards opens them).",
    },
    tracingSampling: {
        type: "integer",
        default: DEFAULT_TRACING_SAMPLING,
        description:
            "Percent of requests traced, 0 to 100 (100 suits a demo: every page you load has a trace; lower it for real traffic).",
    },
    trafficApi: {
        type: "string",
        default: "istio",
        description:
            "Routing objects: istio (Istio Gateway, VirtualService, DestinationRule) | gateway-api (Kubernetes Gateway API Gateway, HTTPRoute).",
    },
    dataplane: {
        type: "string",
        default: "sidecar",
        description:
            "Istio's data plane: sidecar | ambient (ztunnel and a waypoint; needs trafficApi gateway-api).",
    },
    gatewayApiCrds: {
        type: "string",
        default: "install",
        description: `With trafficApi gateway-api: install (standard-channel CRDs, ${GATEWAY_API_VERSION}) | existing (the cluster has them; never changed or deleted).`,
    },
    cluster: {
        type: "string",
        default: "eks",
        description:
            "Where the mesh runs: eks (a new EKS cluster) | existing (the cluster that kubernetes:context or kubernetes:kubeconfig names).",
    },
    gatewayServiceType: {
        type: "string",
        default: "LoadBalancer",
        description: `Service type of the ingress gateway: ${GATEWAY_SERVICE_TYPES.join(" | ")} (for clusters without load balancers).`,
    },
    kubernetesVersion: {
        type: "string",
        default: "1.35",
        description: "Kubernetes version of the EKS control plane and nodes (MAJOR.MINOR).",
    },
    nodeInstanceType: {
        type: "string",
        default: "m5.large",
        description: "EC2 instance type of the managed node group.",
    },
    nodeDesiredCount: {
        type: "integer",
        default: 2,
        description: "Desired number of nodes (min <= desired <= max).",
    },
    nodeMinCount: { type: "integer", default: 2, description: "Minimum number of nodes." },
    nodeMaxCount: { type: "integer", default: 3, description: "Maximum number of nodes." },
    sshPublicKey: {
        type: "string",
        description:
            "Optional OpenSSH public key (ssh-rsa or ssh-ed25519) installed on the nodes for SSH access.",
    },
    vpcId: {
        type: "string",
        description:
            "Optional existing VPC to use instead of creating one (then give its subnets).",
    },
    publicSubnetIds: {
        type: "array",
        description: "Public subnets of the existing VPC, for internet-facing load balancers.",
    },
    privateSubnetIds: {
        type: "array",
        description: "Private subnets of the existing VPC, for the nodes.",
    },
    adminPrincipalArns: {
        type: "array",
        description:
            "IAM role or user ARNs made cluster admins; not the identity running pulumi up (admin already, EKS refuses it twice).",
    },
    istioVersion: {
        type: "string",
        default: "1.30.5",
        description:
            "Version of Istio's Helm charts (base, istiod, gateway); changing it upgrades in place.",
    },
    istioCanaryVersion: {
        type: "string",
        description:
            "Optional newer Istio version installed beside the stable one as a canary control plane (revision e.g. 1-31-1).",
    },
    istioRevision: {
        type: "string",
        description:
            "Optional revision of the stable control plane: after promoting a canary, its revision (e.g. 1-31-1).",
    },
    dataplaneRevision: {
        type: "string",
        default: "stable",
        description: `Revision tag the app and gateway follow when revisions are in use: ${REVISION_TAGS.join(" | ")}.`,
    },
    appNamespace: {
        type: "string",
        default: "bookinfo",
        description:
            "Namespace for the Bookinfo app (labelled for sidecar injection, or ambient mode).",
    },
    loadBalancerType: {
        type: "string",
        default: "nlb",
        description: `AWS load balancer for the ingress gateway: ${LOAD_BALANCER_TYPES.join(" | ")}.`,
    },
} as const satisfies Record<string, ConfigKeySpec>;

export type ConfigKey = keyof typeof CONFIG_KEYS;

/** Settings without a default that only the EKS cluster uses. */
export const EKS_ONLY_KEYS: ConfigKey[] = [
    "sshPublicKey",
    "vpcId",
    "publicSubnetIds",
    "privateSubnetIds",
    "adminPrincipalArns",
];

/** An existing VPC to build the cluster in: EksCluster's argument. */
export type { ExistingVpc };

/** The validated stack settings. */
export interface StackConfig {
    /** Where the mesh runs; the EKS settings below apply to `eks` only. */
    cluster: ClusterKind;
    /** `gatewayServiceType`: how the ingress gateway's Service is exposed. */
    gatewayServiceType: GatewayServiceType;
    /** The routing mode and the traffic options: what ReviewsRouting (or GatewayApiRouting) builds. */
    traffic: TrafficOptions;
    /** Whether MeshObservability is installed and istiod traces. */
    observability: boolean;
    /** Percent of requests traced when observability is on. */
    tracingSampling: number;
    /** The traffic API and data plane; a combination Istio supports. */
    trafficModel: TrafficModel;
    /** Where the Gateway API CRDs come from (with trafficApi gateway-api). */
    gatewayApiCrds: GatewayApiCrdSource;
    /** `kubernetesVersion`: of the EKS control plane and nodes. */
    kubernetesVersion: string;
    /** `nodeInstanceType`: the node group's EC2 instance type. */
    nodeInstanceType: string;
    /** `nodeDesiredCount`. */
    nodeDesiredCount: number;
    /** `nodeMinCount`. */
    nodeMinCount: number;
    /** `nodeMaxCount`. */
    nodeMaxCount: number;
    /** `sshPublicKey`: an OpenSSH public key for the nodes. */
    sshPublicKey?: string;
    /** Absent: the cluster gets a VPC of its own. */
    existingVpc?: ExistingVpc;
    /** `adminPrincipalArns`: IAM ARNs given cluster-admin access entries. */
    adminPrincipalArns: string[];
    /** `aws:profile`: the kubeconfig of an EKS cluster authenticates with it too. */
    awsProfile?: string;
    /**
     * With `cluster: existing`, the cluster, named by `kubernetes:context` and/or
     * `kubernetes:kubeconfig` (one at least), never by whichever context is current.
     */
    existingCluster?: { kubeconfig?: string; context?: string };
    /** `istioVersion`: the stable control plane's version. */
    istioVersion: string;
    /** A canary control plane's version. */
    istioCanaryVersion?: string;
    /** The stable control plane's revision; absent for Istio's default, unrevisioned install. */
    istioRevision?: string;
    /** `dataplaneRevision`: the revision tag the app and the gateway follow. */
    dataplaneRevision: RevisionTag;
    /** `appNamespace`: the Bookinfo app's namespace. */
    appNamespace: string;
    /** `loadBalancerType`: the AWS load balancer of the gateway. */
    loadBalancerType: LoadBalancerType;
}
