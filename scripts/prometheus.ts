/**
 * Asks a Prometheus server's HTTP API for the mesh's reviews counters, for
 * `npm run verify -- --prometheus <url>`. Reading the answer is lib/meshView.ts's part.
 */
import { countsByVersion, meshQuery, PrometheusError } from "../lib/meshView";
import { Dataplane } from "../lib/trafficModel";

/** The counters of reviews requests by version, now, and whether Prometheus had any at all. */
export interface MeshReading {
    readonly counts: Record<string, number>;
    readonly seriesExist: boolean;
}

/**
 * Runs the instant query {@link meshQuery} (the reporter of `dataplane`, or of both when it is
 * not known) at `/api/v1/query` under `base` (a server's root, or a path it is served under).
 *
 * @throws PrometheusError saying why there is no answer: unreachable, an HTTP error, a failed
 *   query, or an answer that is not Prometheus's.
 */
export async function readMesh(
    base: string,
    timeoutSeconds: number,
    dataplane?: Dataplane,
): Promise<MeshReading> {
    const url = new URL("api/v1/query", base.endsWith("/") ? base : `${base}/`);
    url.searchParams.set("query", meshQuery(dataplane));
    let res: Response;
    let text: string;
    try {
        res = await fetch(url, { signal: AbortSignal.timeout(timeoutSeconds * 1000) });
        text = await res.text();
    } catch (e) {
        const err = e as Error & { cause?: { code?: string; message?: string } };
        const why =
            err.name === "TimeoutError"
                ? `no answer within ${timeoutSeconds} s`
                : (err.cause?.code ?? err.cause?.message ?? err.message);
        throw new PrometheusError(`could not reach it (${why})`);
    }
    let body: unknown;
    try {
        body = JSON.parse(text);
    } catch {
        throw new PrometheusError(
            `HTTP ${res.status} without a JSON answer: is this Prometheus's address?`,
        );
    }
    const counts = countsByVersion(body);
    return { counts, seriesExist: Object.keys(counts).length > 0 };
}
