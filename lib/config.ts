/**
 * The stack settings, parsed and validated by pure functions.
 *
 * `parseConfig` sees only strings (as Pulumi hands them over) and either returns a typed
 * {@link StackConfig} or throws a {@link ConfigError} naming every bad key, its value and what is
 * allowed. The program calls it before registering any resource, so a typo costs nothing.
 * The keys are declared in lib/configKeys.ts (`Pulumi.yaml` declares the same keys with the same
 * defaults; a test keeps the two equal), read one at a time by lib/configReader.ts; SSH keys are
 * checked in lib/sshKey.ts, and the current stack's raw settings come from lib/stackSettings.ts.
 * All of it is exported from here too: the program, the tests and the package import this module.
 */
import {
    ABORT_STATUS_RANGE,
    isIstioDuration,
    isRoutingMode,
    RatingsFault,
    ROUTING_MODE_NAMES,
    RoutingMode,
} from "./routing";
import { TRACING_SAMPLING_RANGE } from "./observability";
import { isIstioVersion, REVISION_TAGS, versionProblems } from "./upgrade";
import { isGatewayApiDuration } from "./gatewayApi";
import { GATEWAY_SERVICE_TYPES, LOAD_BALANCER_TYPES } from "./gatewayService";
import {
    DATAPLANES,
    GATEWAY_API_CRD_SOURCES,
    TRAFFIC_APIS,
    unsupportedTrafficModel,
} from "./trafficModel";
import {
    CLUSTER_KINDS,
    CONFIG_KEYS,
    ConfigKey,
    EKS_ONLY_KEYS,
    ExistingVpc,
    MTLS_MODES,
    NODE_COUNT_RANGE,
    RATINGS_FAULTS,
    RESERVED_NAMESPACES,
    StackConfig,
} from "./configKeys";
import { ConfigError, Reader } from "./configReader";
import { isValidSshPublicKey, SSH_KEY_TYPES } from "./sshKey";
import { providerSettings, ProviderSettings, RawConfig, rawStackConfig } from "./stackSettings";

export {
    CLUSTER_KINDS,
    CONFIG_KEYS,
    GATEWAY_SERVICE_TYPES,
    LOAD_BALANCER_TYPES,
    MTLS_MODES,
    NODE_COUNT_RANGE,
    RATINGS_FAULTS,
    RESERVED_NAMESPACES,
} from "./configKeys";
export type { ClusterKind, ConfigKey, ConfigKeySpec, ExistingVpc, StackConfig } from "./configKeys";
export { ConfigError } from "./configReader";
export { isValidSshPublicKey, SSH_KEY_TYPES } from "./sshKey";
export { PROVIDER_KEYS, providerSettings, rawStackConfig } from "./stackSettings";
export type { ProviderSettings, RawConfig } from "./stackSettings";

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

/** Reads and validates the current stack's settings. @throws ConfigError */
export function readConfig(): StackConfig {
    return parseConfig(rawStackConfig(), providerSettings());
}
