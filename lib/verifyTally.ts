/**
 * Counting a `npm run verify` round: what each reader saw, whether the round can be judged at
 * all (or says only that the network failed), and the table that shows it.
 */
import { ERROR_OUTCOME, ExpectedShares, Reader, READERS } from "./routing";
import { PAGE_ERRORS, PageOutcome } from "./verifyPage";
import { formatShare } from "./verifyJudge";

/** What one reader saw in one round: pages by outcome, and errors by reason. */
export interface ReaderTally {
    readonly counts: Record<string, number>;
    readonly errors: Record<string, number>;
    /** Requests that found no connection, by why (see {@link PageOutcome.unreachable}). */
    readonly unreachable: Record<string, number>;
    /** Product pages that came back, whatever they showed (reviews, or the page's own errors). */
    read: number;
}

/** What every reader saw in one round. */
export type Tally = Record<Reader, ReaderTally>;

/** The outcomes of an expectation, in table order: versions by name, then error. */
export function outcomesOf(expectation: ExpectedShares): string[] {
    const all = new Set(READERS.flatMap((r) => Object.keys(expectation[r])));
    all.delete(ERROR_OUTCOME);
    return [...[...all].sort(), ERROR_OUTCOME];
}

/** A tally with every outcome at zero. */
export function newTally(outcomes: readonly string[]): Tally {
    const empty = (): ReaderTally => ({
        counts: Object.fromEntries(outcomes.map((o) => [o, 0])),
        errors: {},
        unreachable: {},
        read: 0,
    });
    return { anonymous: empty(), jason: empty() };
}

/** Counts one page of a reader. */
export function record(tally: Tally, reader: Reader, page: PageOutcome): void {
    const t = tally[reader];
    t.counts[page.outcome] = (t.counts[page.outcome] ?? 0) + 1;
    if (page.outcome === ERROR_OUTCOME) {
        const reason = page.reason ?? "unknown";
        t.errors[reason] = (t.errors[reason] ?? 0) + 1;
    }
    if (page.unreachable !== undefined) {
        t.unreachable[page.unreachable] = (t.unreachable[page.unreachable] ?? 0) + 1;
    }
    if (page.outcome !== ERROR_OUTCOME || PAGE_READ_ERRORS.has(page.reason ?? "")) {
        t.read++;
    }
}

/** Errors that come on a product page: the app answered, so the page was read. */
const PAGE_READ_ERRORS: ReadonlySet<string> = new Set([
    PAGE_ERRORS.reviewsUnavailable,
    PAGE_ERRORS.ratingsUnavailable,
    PAGE_ERRORS.notSignedIn,
]);

/** Why a round cannot be judged, and what to do about it. */
export interface CannotJudge {
    /** e.g. "could not reach the product page at http://h/productpage: ENOTFOUND (200 of 200 pages)". */
    readonly problem: string;
    /** What to do next, one or two sentences. */
    readonly hint: string;
    /** Whether another round (with --wait) may fare better: not for a port Node refuses. */
    readonly retry: boolean;
}

const WAIT_HINT = "This is the network, not the routing: wait and run again, or use --wait 60.";

/** Requests and pages counted over all readers, largest first, as "200 × HTTP 503, 3 × ...". */
function summed(tally: Tally, of: "errors" | "unreachable"): [string, number][] {
    const sums: Record<string, number> = {};
    for (const reader of READERS) {
        for (const [key, n] of Object.entries(tally[reader][of])) {
            sums[key] = (sums[key] ?? 0) + n;
        }
    }
    return Object.entries(sums).sort(([, a], [, b]) => b - a);
}

/**
 * Whether a round says nothing about the routing, and why: some request found no connection
 * (the name does not resolve, the connection is refused, ...), or no product page came back at
 * all (every request timed out or got another answer). Either is the network or the app's
 * front door, never a wrong routing, so `npm run verify` exits 2 on it instead of 1.
 *
 * @returns undefined when the round's pages can be judged.
 */
export function cannotJudge(tally: Tally, url: string): CannotJudge | undefined {
    const total = READERS.reduce(
        (n, r) => n + Object.values(tally[r].counts).reduce((a, b) => a + b, 0),
        0,
    );
    const unreachable = summed(tally, "unreachable");
    if (unreachable.length > 0) {
        const failed = unreachable.reduce((n, [, count]) => n + count, 0);
        const codes = unreachable.map(([code]) => code);
        const problem =
            `could not reach the product page at ${url}: ${codes.join("/")} ` +
            `(${failed} of ${total} pages)`;
        if (codes.includes("bad port")) {
            const port = new URL(url).port;
            return {
                problem,
                hint:
                    `Node's fetch refuses to connect to port ${port}: it is on the Fetch standard's list ` +
                    `of "bad ports" that browsers block too (they belong to other protocols). ` +
                    "Reach the page on another port, e.g. kubectl port-forward ... 8080:80.",
                retry: false,
            };
        }
        const first = codes[0];
        const why =
            first === "ENOTFOUND" || first === "EAI_AGAIN"
                ? "The host name does not resolve (yet): a new load balancer's name takes a minute " +
                  "or two to appear in DNS. "
                : first === "ECONNREFUSED"
                  ? "Nothing accepts connections there: for a local cluster, is the kubectl " +
                    "port-forward running? Right after a deploy, the load balancer may not be " +
                    "ready yet. "
                  : "";
        return { problem, hint: why + WAIT_HINT, retry: true };
    }
    if (READERS.every((r) => tally[r].read === 0)) {
        const reasons = summed(tally, "errors")
            .map(([reason, n]) => `${n} × ${reason}`)
            .join(", ");
        const timedOut = summed(tally, "errors").every(([reason]) =>
            reason.includes("no answer within"),
        );
        return timedOut
            ? {
                  problem: `could not reach the product page at ${url}: ${reasons}`,
                  hint: WAIT_HINT,
                  retry: true,
              }
            : {
                  problem: `no product page could be read at ${url}: ${reasons}`,
                  hint:
                      "Something answers, but not with Bookinfo's product page: check the URL, the " +
                      "Gateway and the bookinfo VirtualService (kubectl get gateways,virtualservices " +
                      "-n bookinfo) and that the pods are ready. Right after a deploy, use --wait 60.",
                  retry: true,
              };
    }
    return undefined;
}

/** Aligns a table: the first column left, the others right, two spaces apart. */
export function pad(cells: string[][]): string {
    const widths = cells[0].map((_, c) => Math.max(...cells.map((row) => row[c].length)));
    return cells
        .map((row) =>
            row
                .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c])))
                .join("  ")
                .trimEnd(),
        )
        .join("\n");
}

/**
 * The round's table: pages per reader and outcome, the expected shares beside them, then each
 * reader's errors by reason.
 */
export function renderTally(tally: Tally, expectation: ExpectedShares): string {
    const outcomes = [
        ...new Set([
            ...outcomesOf(expectation),
            ...READERS.flatMap((r) => Object.keys(tally[r].counts)),
        ]),
    ];
    const counts = pad([
        ["pages", ...outcomes],
        ...READERS.map((r) => [r, ...outcomes.map((o) => String(tally[r].counts[o] ?? 0))]),
    ]);
    const expected = pad([
        ["expected", ...outcomes],
        ...READERS.map((r) => [r, ...outcomes.map((o) => formatShare(expectation[r][o] ?? 0))]),
    ]);
    const errors = READERS.filter((r) => Object.keys(tally[r].errors).length > 0).map(
        (r) =>
            `errors of ${r}: ` +
            Object.entries(tally[r].errors)
                .sort(([, a], [, b]) => b - a)
                .map(([reason, n]) => `${n} × ${reason}`)
                .join(", "),
    );
    return [counts, "", expected, ...(errors.length > 0 ? ["", ...errors] : [])].join("\n");
}
