/**
 * Istio upgrades as data: which Istio versions run on which Kubernetes versions, and for a set of
 * version settings, which control planes exist, where the revision tags point, how the app
 * namespace is labelled and which proxy every workload should run. IstioMesh and BookinfoApp
 * only render the {@link MeshPlan}; each `pulumi up` of an upgrade is a change of settings.
 *
 * Two procedures, as Istio documents them:
 * - in place: the stable control plane's chart version changes; base (CRDs), then istiod, then
 *   the gateway are upgraded, and the workloads roll onto the new proxies.
 * - revision-based canary: a second istiod runs as revision `revisionOf(canaryVersion)`; the
 *   tags `stable` and `canary` point at the two revisions, the app namespace carries
 *   `istio.io/rev=<tag>`, and switching the tag rolls the workloads onto the other control plane.
 *
 * In ambient mode (IstioMesh's `dataplaneMode`), only in place: the releases depend on one
 * another base -> istiod -> cni -> ztunnel, the order of Istio's ambient upgrade guide, and
 * ztunnel, one per node, has no canary. The revision-based canary is refused there for now.
 */

/**
 * Istio's Helm repository: the charts of every Istio version, and the only place 1.31 and later
 * are published. The older istio-release.storage.googleapis.com loses its charts in December
 * 2026 (Istio's blog of 2026-08-21 on the move to AWS asks Helm users to switch now).
 */
export const ISTIO_CHART_REPO = "https://blob.istio.io/istio-release/charts";

/** What Istio publishes for one minor version. */
export interface IstioMinorSupport {
    /** Kubernetes minor versions it supports: Istio's support-status table. */
    readonly kubernetes: readonly string[];
}

/**
 * Istio's support matrix for the minor versions this program installs (istio.io, "Supported
 * Releases", support status of Istio releases). Add a row when Istio releases a minor version.
 */
export const ISTIO_SUPPORT: Readonly<Record<string, IstioMinorSupport>> = {
    "1.31": {
        kubernetes: ["1.32", "1.33", "1.34", "1.35", "1.36", "1.37"],
    },
    "1.30": {
        kubernetes: ["1.32", "1.33", "1.34", "1.35", "1.36"],
    },
    "1.29": {
        kubernetes: ["1.31", "1.32", "1.33", "1.34", "1.35"],
    },
    "1.28": {
        kubernetes: ["1.30", "1.31", "1.32", "1.33", "1.34"],
    },
};

/** The revision tags of a revisioned mesh: the app and gateway select a control plane by tag. */
export const REVISION_TAGS = ["stable", "canary"] as const;

/**
 * A revision tag, as an enum of the package schema (an object and a type of one name; TypeScript
 * callers write `"canary"`).
 */
export const RevisionTag = {
    /** The tag of the stable control plane. */
    stable: "stable",
    /** The tag of the canary control plane. */
    canary: "canary",
} as const; // A plain `as const`, which the schema inference reads; a test checks it against REVISION_TAGS.
export type RevisionTag = (typeof REVISION_TAGS)[number];

/** Pod-template annotations that say which proxy a workload should run; a change rolls it. */
export const PROXY_ANNOTATIONS = {
    version: "istio-eks/proxy-version",
    controlPlane: "istio-eks/control-plane",
} as const;

/** A chart version: MAJOR.MINOR.PATCH with an optional pre-release, e.g. `1.31.0-rc.1`. */
const VERSION = /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/;

/** A revision name: what istiod's chart accepts in resource names (a DNS label). */
const REVISION = /^(?=.{1,40}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True for a well-formed chart version. */
export function isIstioVersion(version: string): boolean {
    return VERSION.test(version);
}

/** `MAJOR.MINOR` of a chart version: `1.31.1` gives `1.31`. */
export function minorOf(version: string): string {
    return version.split(".").slice(0, 2).join(".");
}

/**
 * The revision name of a version, as Istio names them: `1.31.1` gives `1-31-1`, `1.31.0-rc.1`
 * gives `1-31-0-rc-1`.
 */
export function revisionOf(version: string): string {
    return version.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

/** Negative, zero or positive as `a` is older than, the same as or newer than `b`. */
export function compareVersions(a: string, b: string): number {
    const [, ...pa] = VERSION.exec(a) ?? [];
    const [, ...pb] = VERSION.exec(b) ?? [];
    for (let i = 0; i < 3; i++) {
        const d = Number(pa[i]) - Number(pb[i]);
        if (d !== 0) {
            return d;
        }
    }
    // A pre-release comes before its release.
    if (pa[3] === pb[3]) {
        return 0;
    }
    if (pa[3] === undefined || pb[3] === undefined) {
        return pa[3] === undefined ? 1 : -1;
    }
    return pa[3].localeCompare(pb[3], "en", { numeric: true });
}

/** The version settings of a mesh: what changes from one step of an upgrade to the next. */
export interface IstioVersions {
    /** Version of the stable control plane (and of base, unless the canary is newer). */
    version: string;
    /**
     * Revision of the stable control plane. Absent or `""`: Istio's default, unrevisioned
     * install. After promoting a canary, the canary's revision (e.g. `1-31-1`).
     */
    revision?: string;
    /** A canary control plane's version, installed beside the stable one as `revisionOf(canaryVersion)`. */
    canaryVersion?: string;
    /** The revision tag the app and the gateway follow. Defaults to `"stable"`. */
    dataplaneRevision?: RevisionTag;
}

/**
 * What is wrong with version settings, one line each, naming the setting, its value and what is
 * allowed; empty when they are fine. `kubernetesVersion` (MAJOR.MINOR), when known, must be one
 * that each Istio version supports. Malformed versions are reported by the caller.
 */
export function versionProblems(v: IstioVersions, kubernetesVersion?: string): string[] {
    const problems: string[] = [];
    const known = Object.keys(ISTIO_SUPPORT).join(", ");
    const supported = (key: string, version: string): boolean => {
        const support = ISTIO_SUPPORT[minorOf(version)];
        if (support === undefined) {
            problems.push(
                `${key} = "${version}": Istio ${minorOf(version)} is not in the support matrix; expected one of ${known}`,
            );
            return false;
        }
        if (kubernetesVersion !== undefined && !support.kubernetes.includes(kubernetesVersion)) {
            const k = support.kubernetes;
            problems.push(
                `${key} = "${version}", kubernetesVersion = "${kubernetesVersion}": Istio ${minorOf(version)} ` +
                    `supports Kubernetes ${k[0]} to ${k[k.length - 1]}, not ${kubernetesVersion}`,
            );
        }
        return true;
    };
    const stableOk = supported("istioVersion", v.version);
    const revision = v.revision ?? "";
    if (revision !== "" && (!REVISION.test(revision) || isReservedRevision(revision))) {
        problems.push(
            `istioRevision = "${revision}": expected a revision name such as "1-31-1" (lower-case letters, ` +
                `digits and '-', at most 40), not default, stable or canary`,
        );
    }
    if (v.canaryVersion !== undefined) {
        const canaryOk = supported("istioCanaryVersion", v.canaryVersion);
        if (stableOk && canaryOk && compareVersions(v.canaryVersion, v.version) <= 0) {
            problems.push(
                `istioCanaryVersion = "${v.canaryVersion}": expected a version newer than istioVersion ` +
                    `"${v.version}"; a canary is the next version of the stable control plane`,
            );
        }
        if (revisionOf(v.canaryVersion) === revision) {
            problems.push(
                `istioRevision = "${revision}": the canary's own revision; to promote the canary, set ` +
                    `istioVersion to "${v.canaryVersion}" and remove istioCanaryVersion`,
            );
        }
    }
    if (v.dataplaneRevision === "canary" && v.canaryVersion === undefined && revision === "") {
        problems.push(
            `dataplaneRevision = "canary": needs revisions; set istioCanaryVersion (a canary control ` +
                `plane), or istioRevision after promoting one`,
        );
    }
    return problems;
}

function isReservedRevision(revision: string): boolean {
    return revision === "default" || (REVISION_TAGS as readonly string[]).includes(revision);
}

/** One istiod installation. */
export interface ControlPlane {
    /** Whether it is the stable control plane or the canary. */
    readonly role: "stable" | "canary";
    /** Its Istio version, e.g. `"1.30.5"`. */
    readonly version: string;
    /** istiod's `revision` value: `""` for the default revision. */
    readonly revision: string;
    /** Its Helm release: `istiod`, or `istiod-<revision>`. */
    readonly releaseName: string;
}

/** A revision tag and the revision it points at (`""`: the default revision). */
export interface TagBinding {
    /** The tag. */
    readonly tag: RevisionTag;
    /** The revision it points at. */
    readonly revision: string;
}

/** Everything the mesh and the app render for one set of version settings. */
export interface MeshPlan {
    /** The base chart's version: the newest control plane's, so CRDs are upgraded first. */
    readonly baseVersion: string;
    /** The base chart's `defaultRevision`: the revision that validates Istio objects. */
    readonly defaultRevision: string;
    /** The control planes, stable first. */
    readonly controlPlanes: readonly ControlPlane[];
    /** Revision tags; none without revisions. */
    readonly tags: readonly TagBinding[];
    /** The control plane that injects the app's and the gateway's proxies. */
    readonly dataplane: ControlPlane;
    /** The tag the data plane selects it by; undefined without revisions. */
    readonly dataplaneTag?: RevisionTag;
    /** The app namespace's injection label: `istio-injection=enabled` or `istio.io/rev=<tag>`. */
    readonly namespaceLabels: Readonly<Record<string, string>>;
    /**
     * The gateway chart's `revision` (its pods' `istio.io/rev`): the tag, except while the tag
     * names the default revision, whose injector takes unlabelled gateway pods anyway (so
     * installing a canary leaves the gateway's pods alone).
     */
    readonly gatewayRevision: string;
    /** The gateway chart's version: that of the control plane that injects it. */
    readonly gatewayVersion: string;
    /** Pod-template annotations of the app and the gateway: a change rolls their pods. */
    readonly podAnnotations: Readonly<Record<string, string>>;
}

function controlPlane(role: ControlPlane["role"], version: string, revision: string): ControlPlane {
    return {
        role,
        version,
        revision,
        releaseName: revision === "" ? "istiod" : `istiod-${revision}`,
    };
}

/**
 * The plan of a mesh for its version settings.
 *
 * @throws Error listing every problem of {@link versionProblems} (without a Kubernetes version).
 */
export function meshPlan(v: IstioVersions): MeshPlan {
    const problems = [
        ...[v.version, v.canaryVersion]
            .filter((version): version is string => version !== undefined)
            .filter((version) => !isIstioVersion(version))
            .map(
                (version) =>
                    `"${version}": expected a chart version MAJOR.MINOR.PATCH, e.g. "1.30.5"`,
            ),
    ];
    if (problems.length === 0) {
        problems.push(...versionProblems(v));
    }
    if (problems.length > 0) {
        throw new Error(`Invalid Istio versions:\n  - ${problems.join("\n  - ")}`);
    }

    const stable = controlPlane("stable", v.version, v.revision ?? "");
    const canary =
        v.canaryVersion === undefined
            ? undefined
            : controlPlane("canary", v.canaryVersion, revisionOf(v.canaryVersion));
    const revisioned = stable.revision !== "" || canary !== undefined;
    const tag = v.dataplaneRevision ?? "stable";
    // Without a canary, the canary tag stays, pointing at the stable revision (as after a promotion).
    const dataplane = tag === "canary" && canary !== undefined ? canary : stable;
    const newest = canary !== undefined && compareVersions(canary.version, stable.version) > 0;

    return {
        baseVersion: newest ? canary.version : stable.version,
        defaultRevision: stable.revision === "" ? "default" : stable.revision,
        controlPlanes: canary === undefined ? [stable] : [stable, canary],
        tags: revisioned
            ? [
                  { tag: "stable", revision: stable.revision },
                  { tag: "canary", revision: (canary ?? stable).revision },
              ]
            : [],
        dataplane,
        dataplaneTag: revisioned ? tag : undefined,
        namespaceLabels: revisioned ? { "istio.io/rev": tag } : { "istio-injection": "enabled" },
        gatewayRevision: revisioned && dataplane.revision !== "" ? tag : "",
        gatewayVersion: dataplane.version,
        podAnnotations: {
            [PROXY_ANNOTATIONS.version]: dataplane.version,
            [PROXY_ANNOTATIONS.controlPlane]:
                dataplane.revision === "" ? "default" : dataplane.revision,
        },
    };
}
