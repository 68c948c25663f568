/**
 * The mesh's own view of a `npm run verify` run, the pure half of `--prometheus`: the query that
 * reads the reviews requests the mesh's L7 proxies recorded (sidecars, or ambient mode's waypoint), reading Prometheus's answers, the counts of
 * the run's window, the expectation they must meet (the readers' expectations combined in the
 * proportions the run used) and the verdict. scripts/verify.ts asks and prints.
 */
import { ERROR_OUTCOME, ExpectedShares, Reader, READERS, REVIEWS_SERVICE } from "./routing";
import { Dataplane, DATAPLANES } from "./trafficModel";
import { formatShare, judgeOutcomes, pad, TOLERANCE_SIGMAS, Verdict } from "./verify";

/** The Istio metric counting requests, by the proxies' standard labels. */
export const REQUESTS_METRIC = "istio_requests_total";

/** The label carrying the version of the workload that served a request. */
export const VERSION_LABEL = "destination_version";

/**
 * The `reporter` label of the proxy that counts a request on the serving side, by data plane: a
 * reviews pod's sidecar reports "destination"; in ambient mode pods have no proxy and the
 * namespace's waypoint counts the requests it routes as "waypoint" (istiod configures its stats
 * filter as reporter SERVER_GATEWAY; Istio's ambient tests query reporter="waypoint"). ztunnel
 * counts only TCP connections, never requests.
 */
export const REPORTERS: Record<Dataplane, string> = {
    sidecar: "destination",
    ambient: "waypoint",
};

/** The reporters a query covers: the data plane's, or when it is not known, every one's. */
export function reportersOf(dataplane?: Dataplane): string[] {
    return dataplane === undefined ? DATAPLANES.map((d) => REPORTERS[d]) : [REPORTERS[dataplane]];
}

/**
 * Requests to reviews so far, by the version that served them, as the serving side's proxies
 * count them (one count per request that reached a reviews pod). Without a known data plane it
 * asks for both reporters: the bookinfo namespace is in one data plane, so only one of them
 * counts its requests.
 */
export function meshQuery(dataplane?: Dataplane, service = REVIEWS_SERVICE): string {
    const reporters = reportersOf(dataplane);
    const reporter =
        reporters.length === 1
            ? `reporter="${reporters[0]}"`
            : `reporter=~"${reporters.join("|")}"`;
    return (
        `sum by (${VERSION_LABEL}) ` +
        `(${REQUESTS_METRIC}{${reporter},destination_service_name="${service}"})`
    );
}

/**
 * The data plane in use, from the stack output `dataplane`; undefined when the stack does not
 * say (a stack deployed before the output existed, or no stack read).
 */
export function dataplaneOutput(value: unknown): Dataplane | undefined {
    return (DATAPLANES as readonly unknown[]).includes(value) ? (value as Dataplane) : undefined;
}

/** Why a data plane's proxies recorded nothing at all for reviews: what to look at. */
export function noMetricsCause(dataplane?: Dataplane): string {
    const sidecar =
        "its pods run without sidecars (kubectl get pods -n bookinfo shows 1/1; then " +
        "kubectl rollout restart deployment -n bookinfo)";
    const ambient =
        "no waypoint routes its requests (kubectl get gateway waypoint -n bookinfo; the " +
        "namespace needs the labels istio.io/dataplane-mode=ambient and istio.io/use-waypoint=waypoint: " +
        "kubectl get namespace bookinfo --show-labels)";
    const cause =
        dataplane === "sidecar"
            ? sidecar
            : dataplane === "ambient"
              ? `in ambient mode ${ambient}`
              : `with sidecars, ${sidecar}; in ambient mode, ${ambient}`;
    return `${cause}, or Prometheus does not scrape them`;
}

/** Prometheus could not be asked, or did not answer as its HTTP API does. */
export class PrometheusError extends Error {}

/**
 * Reads an `/api/v1/query` answer holding an instant vector by {@link VERSION_LABEL}: the count
 * of each version. An empty vector is an empty record.
 *
 * @throws PrometheusError when the answer is an error or not such a vector.
 */
export function countsByVersion(body: unknown): Record<string, number> {
    const answer = body as {
        status?: unknown;
        error?: unknown;
        data?: { resultType?: unknown; result?: unknown };
    };
    if (answer?.status === "error") {
        throw new PrometheusError(`the query failed: ${String(answer.error)}`);
    }
    if (
        answer?.status !== "success" ||
        answer.data?.resultType !== "vector" ||
        !Array.isArray(answer.data.result)
    ) {
        throw new PrometheusError("the answer is not a Prometheus instant vector");
    }
    const counts: Record<string, number> = {};
    for (const sample of answer.data.result as {
        metric?: Record<string, string>;
        value?: unknown[];
    }[]) {
        const version = sample.metric?.[VERSION_LABEL] ?? "unknown";
        const value = Number(sample.value?.[1]);
        if (!Number.isFinite(value)) {
            throw new PrometheusError(`the answer has no number for ${VERSION_LABEL} ${version}`);
        }
        counts[version] = (counts[version] ?? 0) + value;
    }
    return counts;
}

/**
 * The requests between two readings of the counters: `after - before` per version, a version
 * missing before counting from 0, and a counter that went down (a restarted pod) from 0 again.
 */
export function countsBetween(
    before: Record<string, number>,
    after: Record<string, number>,
): Record<string, number> {
    return Object.fromEntries(
        Object.entries(after).map(([version, n]) => {
            const start = before[version] ?? 0;
            return [version, Math.round(n >= start ? n - start : n)];
        }),
    );
}

/**
 * What share of the reviews requests each version should serve: each reader's expected shares,
 * weighted by the pages that reader loaded. The mesh cannot tell readers apart, only versions.
 */
export function meshExpectation(
    expectation: ExpectedShares,
    pages: Record<Reader, number>,
): Record<string, number> {
    const total = READERS.reduce((sum, r) => sum + pages[r], 0);
    const shares: Record<string, number> = {};
    for (const reader of READERS) {
        for (const [outcome, share] of Object.entries(expectation[reader])) {
            const weighted = total === 0 ? 0 : (share * pages[reader]) / total;
            shares[outcome] = (shares[outcome] ?? 0) + weighted;
        }
    }
    return shares;
}

/** What the mesh saw, and whether it agrees. */
export interface MeshVerdict extends Verdict {
    /** Why the shares were not judged, when they could not be (the counts are still printed). */
    readonly notJudged?: string;
}

/**
 * Judges the mesh's counts against the combined expectation, by the rules the pages are judged
 * by. No requests at all is the silent failure it exists to catch: reviews pods without
 * sidecars, or in ambient mode without a waypoint, record nothing (and ignore the routing, too). Under a ratings fault the expectation
 * holds errors in place of versions, and a faulted page reaches reviews once or (retried by
 * productpage) twice, so then only the presence of metrics is judged.
 */
export function judgeMesh(
    counts: Record<string, number>,
    expected: Record<string, number>,
    seriesExisted: boolean,
    dataplane?: Dataplane,
    sigmas = TOLERANCE_SIGMAS,
): MeshVerdict {
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    if (total === 0) {
        return {
            holds: false,
            problems: [
                seriesExisted
                    ? `Prometheus recorded no requests to ${REVIEWS_SERVICE} during the run: were the ` +
                      "pages served (see the errors above), and has Prometheus scraped since?"
                    : `Prometheus has no ${REQUESTS_METRIC} for ${REVIEWS_SERVICE} at all: ` +
                      noMetricsCause(dataplane),
            ],
        };
    }
    if ((expected[ERROR_OUTCOME] ?? 0) > 0) {
        return {
            holds: true,
            problems: [],
            notJudged:
                `shares not judged: under a ratings fault, ${formatShare(expected[ERROR_OUTCOME])} ` +
                "of the pages show an error instead of the version that served them",
        };
    }
    const versions = Object.fromEntries(
        Object.entries(expected).filter(([outcome]) => outcome !== ERROR_OUTCOME),
    );
    const problems = judgeOutcomes("mesh", counts, versions, sigmas, {
        one: "request",
        many: "requests",
    });
    return { holds: problems.length === 0, problems };
}

/** The mesh's table: requests per version, and the combined expectation under it. */
export function renderMeshView(
    counts: Record<string, number>,
    expected: Record<string, number>,
): string {
    const versions = [
        ...new Set(
            [...Object.keys(expected), ...Object.keys(counts)].filter((v) => v !== ERROR_OUTCOME),
        ),
    ].sort();
    const rows = [
        ["requests", ...versions],
        ["mesh", ...versions.map((v) => String(counts[v] ?? 0))],
    ];
    const shares = [["expected", ...versions.map((v) => formatShare(expected[v] ?? 0))]];
    if ((expected[ERROR_OUTCOME] ?? 0) > 0) {
        shares[0].push(`(+ ${formatShare(expected[ERROR_OUTCOME])} errors)`);
        rows.forEach((r) => r.push(""));
    }
    return pad([...rows, ...shares]);
}
