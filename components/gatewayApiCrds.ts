import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import {
    GATEWAY_API_BUNDLE_VERSION_ANNOTATION,
    GATEWAY_API_VERSION,
    gatewayApiBundleProblem,
    GATEWAY_API_CRD_SOURCES,
    gatewayApiCrdsUrl,
    GatewayApiCrdSource,
} from "../lib/trafficModel";

/** The CRD whose release the program checks on a cluster that already has the Gateway API. */
export const GATEWAY_CRD = "gateways.gateway.networking.k8s.io";

/** Arguments of {@link GatewayApiCrds}. */
export interface GatewayApiCrdsArgs {
    /**
     * `"install"` applies the standard channel's install file of `version` and deletes it
     * on destroy; `"existing"` uses the CRDs the cluster already has (another owner manages
     * them: the program only checks their release, and never changes or deletes them).
     * Defaults to `"install"`.
     */
    source?: GatewayApiCrdSource;
    /** The Gateway API release to install, e.g. `"v1.5.1"`. Defaults to the one Istio 1.30 requires. */
    version?: string;
}

/** What each GatewayApiCrds waits on, for TypeScript callers (a package schema has no type for either kind). */
const readyOf = new WeakMap<GatewayApiCrds, pulumi.Resource[]>();

/**
 * The Kubernetes Gateway API's CRDs (standard channel), installed before anything uses them, or
 * found on the cluster. Creating objects that already exist fails in the Kubernetes provider, so
 * a cluster that has them says so (`source: "existing"`) rather than have two owners fight.
 *
 * The cluster is the one of the Kubernetes provider given in the resource options (`provider`,
 * or `providers`) or inherited from a parent; without any, Pulumi's default provider.
 */
export class GatewayApiCrds extends pulumi.ComponentResource {
    /**
     * The release of the CRDs in use, from their bundle-version annotation or the one installed;
     * known once the CRDs are (a resource that uses it waits for them).
     */
    public readonly bundleVersion: pulumi.Output<string>;
    /** With `source: "install"`: the release's install file, applied. */
    public readonly installed?: k8s.yaml.v2.ConfigFile;
    /** With `source: "existing"`: the cluster's Gateway CRD, read and checked. */
    public readonly gatewaysCrd?: k8s.apiextensions.v1.CustomResourceDefinition;

    constructor(name: string, args: GatewayApiCrdsArgs, opts?: pulumi.ComponentResourceOptions) {
        // Another language sends the enum as a string: check both arguments before registering.
        const source = args.source ?? "install";
        if (!GATEWAY_API_CRD_SOURCES.includes(source)) {
            throw new Error(
                `Gateway API CRD source "${source}": expected one of ${GATEWAY_API_CRD_SOURCES.join(", ")}`,
            );
        }
        const version = args.version ?? GATEWAY_API_VERSION;
        if (!/^v\d+\.\d+\.\d+$/.test(version)) {
            throw new Error(
                `Gateway API version "${version}": expected vMAJOR.MINOR.PATCH, e.g. "${GATEWAY_API_VERSION}"`,
            );
        }
        super("istio-eks:index:GatewayApiCrds", name, {}, opts);
        const k8sOpts = { parent: this };

        if (source === "install") {
            // The release's own file, fetched at deploy time: the program ships no copy of the CRDs.
            const crds = new k8s.yaml.v2.ConfigFile(
                `${name}-crds`,
                { file: gatewayApiCrdsUrl(version) },
                k8sOpts,
            );
            this.installed = crds;
            readyOf.set(this, [crds]);
            // Carries the install's dependency to whatever reads it.
            this.bundleVersion = crds.urn.apply(() => version);
        } else {
            const crd = k8s.apiextensions.v1.CustomResourceDefinition.get(
                `${name}-gateways-crd`,
                GATEWAY_CRD,
                k8sOpts,
            );
            this.gatewaysCrd = crd;
            readyOf.set(this, [crd]);
            this.bundleVersion = crd.metadata.annotations.apply((annotations) => {
                const found = annotations?.[GATEWAY_API_BUNDLE_VERSION_ANNOTATION];
                const problem = gatewayApiBundleProblem(GATEWAY_CRD, found);
                if (problem !== undefined) {
                    throw new Error(problem);
                }
                return found!;
            });
        }
        this.registerOutputs({
            bundleVersion: this.bundleVersion,
            installed: this.installed,
            gatewaysCrd: this.gatewaysCrd,
        });
    }

    /** What Gateway API objects must wait for: pass it to `dependsOn` (TypeScript only). */
    public get ready(): pulumi.Resource[] {
        return readyOf.get(this) ?? [];
    }
}
