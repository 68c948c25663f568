/**
 * The stack settings: declared once here, parsed and validated by pure functions.
 *
 * `parseConfig` sees only strings (as Pulumi hands them over) and either returns a typed
 * {@link StackConfig} or throws a {@link ConfigError} naming every bad key, its value and what is
 * allowed. The program calls it before registering any resource, so a typo costs nothing.
 * `Pulumi.yaml` declares the same keys with the same defaults; a test keeps the two equal.
 */
import * as pulumi from "@pulumi/pulumi";

import type { ExistingVpc } from "../components/eksCluster";

import {
    ABORT_STATUS_RANGE,
    DEFAULT_ROUTING_MODE,
    defaultTrafficOptions,
    isIstioDuration,
    isRoutingMode,
    MtlsMode,
    RatingsFault,
    ROUTING_MODE_NAMES,
    RoutingMode,
    TrafficOptions,
} from "./routing";
import { DEFAULT_TRACING_SAMPLING, TRACING_SAMPLING_RANGE } from "./observability";
import { isIstioVersion, REVISION_TAGS, RevisionTag, versionProblems } from "./upgrade";
import { isGatewayApiDuration } from "./gatewayApi";
import {
    GATEWAY_SERVICE_TYPES,
    GatewayServiceType,
    LOAD_BALANCER_TYPES,
    LoadBalancerType,
} from "./gatewayService";
import {
    DATAPLANES,
    GATEWAY_API_CRD_SOURCES,
    GATEWAY_API_VERSION,
    GatewayApiCrdSource,
    TRAFFIC_APIS,
    TrafficModel,
    unsupportedTrafficModel,
} from "./trafficModel";

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

/** SSH key types EC2 imports for Linux instances. */
export const SSH_KEY_TYPES = ["ssh-rsa", "ssh-ed25519"];

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
const EKS_ONLY_KEYS: ConfigKey[] = [
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

/** Bad stack settings: one line per problem, each naming the key, the value and what is allowed. */
export class ConfigError extends Error {
    /** One line per problem, each naming the key, the value and what is allowed. */
    public readonly problems: string[];

    constructor(problems: string[]) {
        super(`Invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.problems = problems;
        this.name = "ConfigError";
    }
}

/** Raw settings as Pulumi passes them: key (without the project prefix) to string. */
export type RawConfig = Readonly<Partial<Record<string, string>>>;

/** The settings of the providers' namespaces the program reads besides its own. */
export const PROVIDER_KEYS = [
    "aws:profile",
    "kubernetes:context",
    "kubernetes:kubeconfig",
] as const;
export type ProviderSettings = Readonly<Partial<Record<(typeof PROVIDER_KEYS)[number], string>>>;

class Reader {
    readonly problems: string[] = [];

    constructor(private readonly raw: RawConfig) {}

    /** The raw value, or the declared default; blank counts as unset. */
    value(key: ConfigKey): string | undefined {
        const v = this.raw[key];
        if (v !== undefined && v.trim() !== "") {
            return v.trim();
        }
        const d = (CONFIG_KEYS[key] as ConfigKeySpec).default;
        return d === undefined ? undefined : String(d);
    }

    bad(key: ConfigKey, value: string, allowed: string): void {
        // Echo only the start of an SSH key: a private key pasted by mistake must not land in logs.
        const shown =
            key === "sshPublicKey" && value.length > 24 ? `${value.slice(0, 24)}...` : value;
        this.problems.push(`${key} = ${JSON.stringify(shown)}: ${allowed}`);
    }

    /** A value that must match `pattern`; `allowed` says what matches. */
    matching(key: ConfigKey, pattern: RegExp, allowed: string): string {
        const v = this.value(key) ?? "";
        if (!pattern.test(v)) {
            this.bad(key, v, allowed);
        }
        return v;
    }

    oneOf<T extends string>(key: ConfigKey, options: readonly T[]): T {
        const v = this.value(key) ?? "";
        if (!(options as readonly string[]).includes(v)) {
            this.bad(key, v, `expected one of ${options.join(" | ")}`);
        }
        return v as T;
    }

    /** A whole number within `range`, or NaN (after recording the problem). */
    /** `true` or `false`, as `pulumi config set` stores a boolean. */
    boolean(key: ConfigKey): boolean {
        const v = this.value(key) ?? "";
        if (v !== "true" && v !== "false") {
            this.bad(key, v, "expected true or false");
        }
        return v === "true";
    }

    integer(key: ConfigKey, range: { min: number; max: number }): number {
        const v = this.value(key) ?? "";
        const n = /^\d+$/.test(v) ? Number(v) : NaN;
        if (!(n >= range.min && n <= range.max)) {
            this.bad(key, v, `expected a whole number from ${range.min} to ${range.max}`);
            return NaN;
        }
        return n;
    }

    /** A list given as a JSON array (`pulumi config set --path 'k[0]' v`) or comma-separated. */
    list(key: ConfigKey, item: RegExp, allowed: string): string[] {
        const v = this.value(key);
        if (v === undefined) {
            return [];
        }
        let items: unknown;
        if (v.startsWith("[")) {
            try {
                items = JSON.parse(v);
            } catch {
                this.bad(key, v, `expected a JSON array or a comma-separated list of ${allowed}`);
                return [];
            }
        } else {
            items = v
                .split(",")
                .map((s) => s.trim())
                .filter((s) => s !== "");
        }
        if (!Array.isArray(items)) {
            // Valid JSON, but not an array (e.g. a quoted string or an object).
            this.bad(key, v, `expected a list of ${allowed}`);
            return [];
        }
        for (const i of items) {
            if (typeof i !== "string" || !item.test(i)) {
                this.bad(key, typeof i === "string" ? i : JSON.stringify(i), `expected ${allowed}`);
            }
        }
        return items as string[];
    }
}

/**
 * True for one OpenSSH public key line (`<type> <base64> [comment]`) of a type EC2 imports, whose
 * body decodes to exactly a key of that type: the type name, then for ed25519 a 32-byte key, for
 * RSA an exponent and a modulus of at least 1024 bits, and nothing after. Truncated pastes, two
 * keys run together and private keys all fail.
 */
export function isValidSshPublicKey(line: string): boolean {
    const [type, body] = line.trim().split(/\s+/);
    if (!SSH_KEY_TYPES.includes(type) || body === undefined) {
        return false;
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
        return false;
    }
    const blob = Buffer.from(body, "base64");
    let offset = 0;
    /** The next length-prefixed field of the blob, or undefined past its end. */
    const field = (): Buffer | undefined => {
        if (offset + 4 > blob.length) {
            return undefined;
        }
        const length = blob.readUInt32BE(offset);
        const start = offset + 4;
        offset = start + length;
        return offset <= blob.length ? blob.subarray(start, offset) : undefined;
    };
    if (field()?.toString("latin1") !== type) {
        return false;
    }
    if (type === "ssh-ed25519") {
        return field()?.length === 32 && offset === blob.length;
    }
    const exponent = field();
    const modulus = field();
    return (
        exponent !== undefined &&
        exponent.length > 0 &&
        modulus !== undefined &&
        // An mpint may carry one leading zero byte to stay positive.
        modulus.length - (modulus[0] === 0 ? 1 : 0) >= 128 &&
        offset === blob.length
    );
}

/** DNS-1123 label: what Kubernetes accepts as a namespace name. */
const DNS_LABEL = /^(?=.{1,63}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * Parses and validates raw stack settings.
 *
 * `providers` are the providers' own settings the program reads ({@link PROVIDER_KEYS}).
 *
 * @throws ConfigError listing every problem found (not only the first), before anything is created.
 */
export function parseConfig(raw: RawConfig, providers: ProviderSettings = {}): StackConfig {
    const r = new Reader(raw);

    for (const key of Object.keys(raw)) {
        if (!Object.prototype.hasOwnProperty.call(CONFIG_KEYS, key)) {
            r.problems.push(
                `${key} is not a setting of this program; known settings: ${Object.keys(CONFIG_KEYS).join(", ")}`,
            );
        }
    }

    const routingValue = r.value("routing") ?? "";
    if (!isRoutingMode(routingValue)) {
        r.bad("routing", routingValue, `expected one of ${ROUTING_MODE_NAMES.join(" | ")}`);
    }

    const canaryWeight = r.integer("canaryWeight", { min: 0, max: 100 });
    const durationAllowed =
        'expected an Istio duration of at least 1ms, e.g. "0.5s", "7s", "100ms"';
    const duration = (key: ConfigKey): string | undefined => {
        const v = r.value(key);
        if (v !== undefined && !isIstioDuration(v)) {
            r.bad(key, v, durationAllowed);
        }
        return v;
    };
    const faultKind = r.oneOf("ratingsFault", RATINGS_FAULTS);
    const fixedDelay = duration("ratingsDelay") ?? "";
    const httpStatus = r.integer("ratingsAbortStatus", ABORT_STATUS_RANGE);
    const ratingsFault: RatingsFault =
        faultKind === "delay"
            ? { kind: "delay", fixedDelay }
            : faultKind === "abort"
              ? { kind: "abort", httpStatus }
              : { kind: "none" };
    const reviewsTimeout = duration("reviewsTimeout");
    const mtls = r.oneOf("mtls", MTLS_MODES);
    const observability = r.boolean("observability");
    const tracingSampling = r.integer("tracingSampling", TRACING_SAMPLING_RANGE);

    const trafficApi = r.oneOf("trafficApi", TRAFFIC_APIS);
    const dataplane = r.oneOf("dataplane", DATAPLANES);
    const gatewayApiCrds = r.oneOf("gatewayApiCrds", GATEWAY_API_CRD_SOURCES);
    const unsupported = unsupportedTrafficModel({ trafficApi, dataplane });
    if (unsupported !== undefined) {
        r.problems.push(
            `trafficApi = "${trafficApi}", dataplane = "${dataplane}": not a combination Istio supports: ${unsupported}`,
        );
    }
    if (trafficApi === "istio" && gatewayApiCrds === "existing") {
        r.bad(
            "gatewayApiCrds",
            gatewayApiCrds,
            "applies to trafficApi gateway-api only; unset it (trafficApi is istio)",
        );
    }
    if (
        trafficApi === "gateway-api" &&
        reviewsTimeout !== undefined &&
        isIstioDuration(reviewsTimeout) &&
        !isGatewayApiDuration(reviewsTimeout)
    ) {
        r.bad(
            "reviewsTimeout",
            reviewsTimeout,
            'with trafficApi gateway-api, expected whole milliseconds (at most 99999 of a unit), e.g. "500ms" or "0.5s"',
        );
    }

    const cluster = r.oneOf("cluster", CLUSTER_KINDS);
    const gatewayServiceType = r.oneOf("gatewayServiceType", GATEWAY_SERVICE_TYPES);
    let existingCluster: StackConfig["existingCluster"];
    if (cluster === "existing") {
        const kubeconfig = blankAsUnset(providers["kubernetes:kubeconfig"]);
        const context = blankAsUnset(providers["kubernetes:context"]);
        if (kubeconfig === undefined && context === undefined) {
            r.problems.push(
                'cluster = "existing" names no cluster: set kubernetes:context (a context of your ' +
                    "kubeconfig, e.g. kind-istio-lab) or kubernetes:kubeconfig (a kubeconfig file or its " +
                    "contents). Without either, each deploy or destroy would act on whichever cluster " +
                    "the current context of KUBECONFIG is at the time",
            );
        }
        existingCluster = {
            ...(kubeconfig === undefined ? {} : { kubeconfig }),
            ...(context === undefined ? {} : { context }),
        };
        // Settings that only shape the EKS cluster would be silently ignored: say so instead.
        // (Keys with defaults cannot be told apart from their defaults, so only these are checked.)
        for (const key of EKS_ONLY_KEYS) {
            const v = r.value(key);
            if (v !== undefined) {
                r.bad(key, v, "applies to cluster eks only; unset it (cluster is existing)");
            }
        }
    }

    const kubernetesVersion = r.matching(
        "kubernetesVersion",
        /^1\.\d{1,2}$/,
        'expected MAJOR.MINOR, e.g. "1.35"',
    );
    const nodeInstanceType = r.matching(
        "nodeInstanceType",
        /^[a-z][a-z0-9-]*\.[a-z0-9-]+$/,
        'expected an EC2 instance type such as "m5.large"',
    );

    const nodeDesiredCount = r.integer("nodeDesiredCount", NODE_COUNT_RANGE);
    const nodeMinCount = r.integer("nodeMinCount", NODE_COUNT_RANGE);
    const nodeMaxCount = r.integer("nodeMaxCount", NODE_COUNT_RANGE);
    const countsValid = [nodeMinCount, nodeDesiredCount, nodeMaxCount].every(Number.isInteger);
    if (countsValid && (nodeMinCount > nodeDesiredCount || nodeDesiredCount > nodeMaxCount)) {
        r.problems.push(
            `nodeMinCount = ${nodeMinCount}, nodeDesiredCount = ${nodeDesiredCount}, nodeMaxCount = ${nodeMaxCount}: ` +
                "expected nodeMinCount <= nodeDesiredCount <= nodeMaxCount",
        );
    }

    const sshPublicKey = r.value("sshPublicKey");
    if (sshPublicKey !== undefined && !isValidSshPublicKey(sshPublicKey)) {
        r.bad(
            "sshPublicKey",
            sshPublicKey,
            `expected one OpenSSH public key line of type ${SSH_KEY_TYPES.join(" or ")} (the contents of a .pub file)`,
        );
    }

    const vpcId = r.value("vpcId");
    if (vpcId !== undefined && !/^vpc-[0-9a-f]{8,17}$/.test(vpcId)) {
        r.bad("vpcId", vpcId, 'expected a VPC ID such as "vpc-0123456789abcdef0"');
    }
    const subnet = /^subnet-[0-9a-f]{8,17}$/;
    const subnetAllowed = 'subnet IDs such as "subnet-0123456789abcdef0"';
    const publicSubnetIds = r.list("publicSubnetIds", subnet, subnetAllowed);
    const privateSubnetIds = r.list("privateSubnetIds", subnet, subnetAllowed);
    let existingVpc: ExistingVpc | undefined;
    if (vpcId === undefined) {
        if (publicSubnetIds.length + privateSubnetIds.length > 0) {
            r.problems.push(
                "publicSubnetIds/privateSubnetIds are set but vpcId is not: set vpcId to use an existing VPC, " +
                    "or unset the subnets to let the program create one",
            );
        }
    } else {
        // Nodes go to the private subnets, or to the public ones when there are none: those
        // need two distinct subnets (EKS asks for two availability zones).
        const [nodeKey, nodeSubnets] =
            privateSubnetIds.length > 0
                ? (["privateSubnetIds", privateSubnetIds] as const)
                : (["publicSubnetIds", publicSubnetIds] as const);
        if (new Set(nodeSubnets).size < 2) {
            r.problems.push(
                `vpcId = "${vpcId}", ${nodeKey} = ${JSON.stringify(nodeSubnets)}: expected at least two ` +
                    "distinct subnets in different availability zones in privateSubnetIds (for the nodes) " +
                    "or, without private subnets, in publicSubnetIds",
            );
        }
        existingVpc = { vpcId, publicSubnetIds, privateSubnetIds };
    }

    const adminPrincipalArns = r.list(
        "adminPrincipalArns",
        /^arn:aws(-cn|-us-gov)?:iam::\d{12}:(role|user)\/[\w+=,.@/-]+$/,
        'IAM role or user ARNs such as "arn:aws:iam::123456789012:role/Admin"',
    );
    for (const arn of new Set(
        adminPrincipalArns.filter((a, i) => adminPrincipalArns.indexOf(a) !== i),
    )) {
        r.bad(
            "adminPrincipalArns",
            arn,
            "listed more than once; EKS takes one access entry per principal",
        );
    }

    const versionAllowed = 'expected a chart version MAJOR.MINOR.PATCH, e.g. "1.30.5"';
    const istioVersion = r.matching(
        "istioVersion",
        /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/,
        versionAllowed,
    );
    const istioCanaryVersion = r.value("istioCanaryVersion");
    if (istioCanaryVersion !== undefined && !isIstioVersion(istioCanaryVersion)) {
        r.bad("istioCanaryVersion", istioCanaryVersion, versionAllowed);
    }
    const istioRevision = r.value("istioRevision");
    const dataplaneRevision = r.oneOf("dataplaneRevision", REVISION_TAGS);
    if (
        isIstioVersion(istioVersion) &&
        (istioCanaryVersion === undefined || isIstioVersion(istioCanaryVersion))
    ) {
        // Against Istio's support matrix; the Kubernetes version is known for a new EKS cluster only.
        r.problems.push(
            ...versionProblems(
                {
                    version: istioVersion,
                    canaryVersion: istioCanaryVersion,
                    revision: istioRevision,
                    dataplaneRevision,
                },
                cluster === "eks" && /^1\.\d{1,2}$/.test(kubernetesVersion)
                    ? kubernetesVersion
                    : undefined,
            ),
        );
    }

    if (dataplane === "ambient") {
        // Revision-based canaries move sidecars between control planes; ambient mode has none,
        // and Istio upgrades ztunnel in place.
        for (const key of ["istioCanaryVersion", "istioRevision"] as const) {
            const v = r.value(key);
            if (v !== undefined) {
                r.bad(
                    key,
                    v,
                    "applies to dataplane sidecar only; unset it (dataplane is ambient, upgraded in place)",
                );
            }
        }
    }

    const appNamespace = r.matching(
        "appNamespace",
        DNS_LABEL,
        "expected a Kubernetes namespace name (lower-case letters, digits and '-', at most 63)",
    );
    if (RESERVED_NAMESPACES.includes(appNamespace)) {
        r.bad(
            "appNamespace",
            appNamespace,
            `reserved; not one of ${RESERVED_NAMESPACES.join(", ")}`,
        );
    }

    const loadBalancerType = r.oneOf("loadBalancerType", LOAD_BALANCER_TYPES);

    if (r.problems.length > 0) {
        throw new ConfigError(r.problems);
    }
    return {
        cluster,
        gatewayServiceType,
        traffic: {
            mode: routingValue as RoutingMode,
            canaryWeight,
            ratingsFault,
            ...(reviewsTimeout === undefined ? {} : { reviewsTimeout }),
            mtls,
        },
        observability,
        tracingSampling,
        trafficModel: { trafficApi, dataplane },
        gatewayApiCrds,
        kubernetesVersion,
        nodeInstanceType,
        nodeDesiredCount,
        nodeMinCount,
        nodeMaxCount,
        sshPublicKey,
        existingVpc,
        adminPrincipalArns,
        awsProfile: blankAsUnset(providers["aws:profile"]),
        existingCluster,
        istioVersion,
        ...(istioCanaryVersion === undefined ? {} : { istioCanaryVersion }),
        ...(istioRevision === undefined ? {} : { istioRevision }),
        dataplaneRevision,
        appNamespace,
        loadBalancerType,
    };
}

function blankAsUnset(value: string | undefined): string | undefined {
    return value === undefined || value.trim() === "" ? undefined : value.trim();
}

/**
 * The current stack's settings of this project's namespace, without the prefix
 * (`istio-eks:routing` becomes `routing`).
 */
export function rawStackConfig(): RawConfig {
    const prefix = `${pulumi.getProject()}:`;
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) {
            raw[key.slice(prefix.length)] = value;
        }
    }
    return raw;
}

/** The current stack's values of {@link PROVIDER_KEYS}. */
export function providerSettings(): ProviderSettings {
    const all = pulumi.runtime.allConfig();
    return Object.fromEntries(
        PROVIDER_KEYS.filter((key) => all[key] !== undefined).map((key) => [key, all[key]]),
    );
}

/** Reads and validates the current stack's settings. @throws ConfigError */
export function readConfig(): StackConfig {
    return parseConfig(rawStackConfig(), providerSettings());
}
