/**
 * The pure half of `npm run verify`: reading a product page's reviews version off its HTML,
 * counting what each reader saw, judging the counts against the stack's expectation, and
 * parsing the command's arguments. scripts/verify.ts does the requests and the printing.
 */
import { parseArgs } from "util";

import {
    defaultTrafficOptions,
    ERROR_OUTCOME,
    ExpectedShares,
    expectedShares,
    isRoutingMode,
    NO_STARS_VERSION,
    Reader,
    READERS,
    ROUTING_MODE_NAMES,
    ROUTING_MODES,
    RoutingMode,
    TEST_USER,
} from "./routing";

/** The reviews version each star colour stands for. */
export const STAR_COLOURS: Readonly<Record<string, string>> = { black: "v2", red: "v3" };

/** What an outcome looks like on the page, for tables and messages. */
export const OUTCOME_LABELS: Readonly<Record<string, string>> = {
    [NO_STARS_VERSION]: `${NO_STARS_VERSION} (no stars)`,
    ...Object.fromEntries(
        Object.entries(STAR_COLOURS).map(([colour, version]) => [
            version,
            `${version} (${colour} stars)`,
        ]),
    ),
    [ERROR_OUTCOME]: "error",
};

/** What one product page showed: a reviews version, or an error and a short reason for it. */
export interface PageOutcome {
    /** A reviews version ("v1", "v2", "v3") or {@link ERROR_OUTCOME}. */
    readonly outcome: string;
    /** For errors: what went wrong, short enough to count by (e.g. "HTTP 503"). */
    readonly reason?: string;
    /**
     * For a request that failed for want of a connection, why (the error code, e.g. ENOTFOUND or
     * ECONNREFUSED, or "bad port"): the network, which says nothing about the routing.
     */
    readonly unreachable?: string;
}

/** The error outcome with a reason. */
export function errorOutcome(reason: string): PageOutcome {
    return { outcome: ERROR_OUTCOME, reason };
}

/** Reasons of the errors the page itself reports (the app is up, a service behind it is not). */
export const PAGE_ERRORS = {
    reviewsUnavailable: "reviews unavailable (Error fetching product reviews)",
    ratingsUnavailable: "ratings unavailable (Ratings service is currently unavailable)",
    noReviewsSection: "no reviews section on the page",
    notSignedIn: "page not signed in (session cookie lost?)",
} as const;

// The reviews part of the page starts at its heading; everything before it (the details, whose
// own error message is red too) is not looked at. Both the Tailwind and the older Bootstrap
// templates use this heading and these messages.
const REVIEWS_HEADING = />\s*Book Reviews\s*</i;
const REVIEWS_ERROR = /Error fetching product reviews/i;
const RATINGS_ERROR = /Ratings service is currently unavailable/i;

// A star block, matched as the element that holds the stars rather than by colour alone:
// `text-red-500` also styles the error messages, but there it is on a <p> holding text.
// Current images: <div class="flex gap-x-1 text-COLOUR-500"> whose first child is a star <svg>.
const TAILWIND_STARS = /<div\b[^>]*\bclass="([^"]*)"[^>]*>\s*<svg\b/gi;
const TAILWIND_COLOUR = /(?:^|\s)text-([a-z]+)-500(?:\s|$)/;
// Older images: <font color="COLOUR"> around glyphicon star spans (maybe after a comment).
const GLYPHICON_STARS =
    /<font\b[^>]*\bcolor="([^"]*)"[^>]*>(?:\s|<!--[\s\S]*?-->)*<span\b[^>]*\bglyphicon-star\b/gi;

/** The colours of the star blocks in a piece of HTML, in order of appearance. */
export function starColours(html: string): string[] {
    const colours: string[] = [];
    for (const m of html.matchAll(TAILWIND_STARS)) {
        const classes = m[1].split(/\s+/);
        const colour = TAILWIND_COLOUR.exec(m[1]);
        if (classes.includes("gap-x-1") && colour !== null) {
            colours.push(colour[1]);
        }
    }
    for (const m of html.matchAll(GLYPHICON_STARS)) {
        colours.push(m[1].trim().toLowerCase());
    }
    return colours;
}

/**
 * The reviews version a product page shows: v1 has reviews without rating stars, v2 black
 * stars, v3 red stars. The page's own error messages (reviews or ratings unavailable), a page
 * without a reviews section, and stars of another or of mixed colours are errors.
 */
export function classifyPage(html: string): PageOutcome {
    const heading = REVIEWS_HEADING.exec(html);
    if (heading === null) {
        return errorOutcome(
            REVIEWS_ERROR.test(html)
                ? PAGE_ERRORS.reviewsUnavailable
                : PAGE_ERRORS.noReviewsSection,
        );
    }
    const reviews = html.slice(heading.index);
    const colours = [...new Set(starColours(reviews))];
    if (colours.length === 0) {
        // v2 and v3 show this instead of stars when ratings fails; v1 never asks for ratings.
        return RATINGS_ERROR.test(reviews)
            ? errorOutcome(PAGE_ERRORS.ratingsUnavailable)
            : { outcome: NO_STARS_VERSION };
    }
    const versions = [...new Set(colours.map((c) => STAR_COLOURS[c]))];
    if (versions.length !== 1 || versions[0] === undefined) {
        return errorOutcome(`stars coloured ${colours.join(" and ")}`);
    }
    return { outcome: versions[0] };
}

/**
 * The outcome of a request that threw: out of time (`timeoutSeconds`), or no connection made or
 * kept. Node's fetch says why in `cause`: a system error's code (ENOTFOUND, ECONNREFUSED, ...),
 * an undici code (UND_ERR_SOCKET, ...), or "bad port" for the ports it refuses to use.
 */
export function fetchFailure(e: unknown, timeoutSeconds: number): PageOutcome {
    const err = e as (Error & { cause?: { code?: unknown; message?: unknown } }) | undefined;
    if (err?.name === "TimeoutError" || err?.name === "AbortError") {
        return errorOutcome(`no answer within ${formatSeconds(timeoutSeconds)}`);
    }
    const cause = err?.cause;
    const code =
        typeof cause?.code === "string"
            ? cause.code
            : cause?.message === "bad port"
              ? "bad port"
              : undefined;
    if (code !== undefined) {
        return { ...errorOutcome(`connection failed (${code})`), unreachable: code };
    }
    const message = typeof cause?.message === "string" ? cause.message : err?.message;
    return errorOutcome(`request failed (${message ?? String(e)})`);
}

/** Whether the page is of a signed-in reader: both templates then offer a sign-out link. */
export function isSignedIn(html: string): boolean {
    return /<a\b[^>]*\bhref="\/?logout"/i.test(html);
}

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

/**
 * How many standard deviations an observed share may stray from its expected share. With N
 * pages, the observed share of an outcome with probability p is binomial, with standard
 * deviation sqrt(p(1-p)/N); four of them are crossed by chance about 6e-5 of the time (normal
 * approximation, two-sided), so a correct routing is almost never called wrong, while every
 * mode still differs from every other in some outcome by far more (see docs/verify.md).
 */
export const TOLERANCE_SIGMAS = 4;

/** The largest distance |observed - p| accepted for a share p seen over n pages. */
export function tolerance(p: number, n: number, sigmas = TOLERANCE_SIGMAS): number {
    return sigmas * Math.sqrt((p * (1 - p)) / n);
}

/** The result of judging a round. */
export interface Verdict {
    readonly holds: boolean;
    /** Why not, one line per reader and outcome that is off. */
    readonly problems: string[];
}

// Shares are sums of fractions such as 1/3: compare with a little slack.
const EPSILON = 1e-9;

/** A share as a percentage: "10%", "33.3%", "2.5%". */
export function formatShare(p: number): string {
    return `${Number((p * 100).toFixed(1))}%`;
}

function label(outcome: string): string {
    return OUTCOME_LABELS[outcome] ?? outcome;
}

/**
 * Whether the counts match the expectation, per reader and outcome: an outcome with share 0
 * must never appear; an outcome with share 1 must be every page; any other share must be seen
 * at least once and its observed share must lie within {@link tolerance} of it.
 */
export function judge(
    counts: Record<Reader, Record<string, number>>,
    expectation: ExpectedShares,
    sigmas = TOLERANCE_SIGMAS,
): Verdict {
    const problems = READERS.flatMap((reader) =>
        judgeOutcomes(reader, counts[reader], expectation[reader], sigmas),
    );
    return { holds: problems.length === 0, problems };
}

/**
 * The rules of {@link judge} for one population (a reader's pages, or the mesh's requests):
 * one line per outcome that is off, each starting with `who`; `unit` names what was counted.
 */
export function judgeOutcomes(
    who: string,
    seen: Record<string, number>,
    expected: Record<string, number>,
    sigmas = TOLERANCE_SIGMAS,
    unit: { one: string; many: string } = { one: "page", many: "pages" },
): string[] {
    const problems: string[] = [];
    const total = Object.values(seen).reduce((a, b) => a + b, 0);
    if (total === 0) {
        return [`${who}: no ${unit.many}`];
    }
    const outcomes = [...new Set([...Object.keys(expected), ...Object.keys(seen)])];
    const share = (outcome: string) => expected[outcome] ?? 0;
    // One outcome on every page: a single line names it and everything seen instead (each
    // of those has share 0, so would only repeat the same fact).
    const only = outcomes.find((o) => share(o) > 1 - EPSILON);
    if (only !== undefined) {
        const n = seen[only] ?? 0;
        if (n < total) {
            const instead = outcomes
                .filter((o) => o !== only && (seen[o] ?? 0) > 0)
                .map((o) => `${label(o)} on ${seen[o]}`)
                .join(", ");
            problems.push(
                `${who}: ${label(only)} expected on every ${unit.one}, seen on ${n} of ${total}; ` +
                    `instead: ${instead}`,
            );
        }
        return problems;
    }
    for (const outcome of outcomes) {
        const p = share(outcome);
        const n = seen[outcome] ?? 0;
        const what = `${who}: ${label(outcome)}`;
        if (p < EPSILON) {
            if (n > 0) {
                problems.push(`${what} on ${n} of ${total} ${unit.many}; expected none`);
            }
        } else if (n === 0) {
            problems.push(
                `${what} never seen in ${total} ${unit.many}; expected ${formatShare(p)}`,
            );
        } else {
            const observed = n / total;
            const allowed = tolerance(p, total, sigmas);
            if (Math.abs(observed - p) > allowed + EPSILON) {
                problems.push(
                    `${what} on ${n} of ${total} ${unit.many} (${formatShare(observed)}); ` +
                        `expected ${formatShare(p)} ± ${formatShare(allowed)}`,
                );
            }
        }
    }
    return problems;
}

/**
 * Reads the stack output `reviewsExpectation` (or anything claiming to be an expectation):
 * for each reader, outcomes mapped to shares from 0 to 1 that add up to 1.
 *
 * @throws Error saying what is wrong with the value.
 */
export function parseExpectation(value: unknown, source = "reviewsExpectation"): ExpectedShares {
    const isRecord = (v: unknown): v is Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v);
    if (!isRecord(value)) {
        throw new Error(`${source}: expected an object with ${READERS.join(" and ")}`);
    }
    const result: Partial<ExpectedShares> = {};
    for (const reader of READERS) {
        const shares = value[reader];
        if (!isRecord(shares) || Object.keys(shares).length === 0) {
            throw new Error(`${source}.${reader}: expected outcomes mapped to shares`);
        }
        let sum = 0;
        for (const [outcome, share] of Object.entries(shares)) {
            if (typeof share !== "number" || !(share >= 0 && share <= 1)) {
                throw new Error(
                    `${source}.${reader}.${outcome} is ${JSON.stringify(share)}: expected a share from 0 to 1`,
                );
            }
            sum += share;
        }
        if (Math.abs(sum - 1) > 1e-6) {
            throw new Error(`${source}.${reader}: shares add up to ${sum}, expected 1`);
        }
        result[reader] = shares as Record<string, number>;
    }
    return result as ExpectedShares;
}

/** What each reader should see in a routing mode, as a stack with only that mode would export. */
export function expectationForMode(
    mode: RoutingMode,
    canaryWeight: number | undefined,
    reviewsVersions: readonly string[],
): ExpectedShares {
    const options = defaultTrafficOptions(mode);
    return expectedShares(
        { ...options, canaryWeight: canaryWeight ?? options.canaryWeight },
        reviewsVersions,
    );
}

/** The settings of one `npm run verify`. */
export interface VerifyArgs {
    /** The product page; from the stack output productPageUrl when absent. */
    readonly url?: string;
    /** A routing mode to expect; from the stack output reviewsExpectation when absent. */
    readonly expect?: RoutingMode;
    /** The canary's percent with `expect` canary; the stack default when absent. */
    readonly canaryWeight?: number;
    /** Pages per reader per round. */
    readonly requests: number;
    /** Requests in flight at once. */
    readonly concurrency: number;
    /** Seconds to wait for one answer. */
    readonly timeoutSeconds: number;
    /** Seconds to keep trying rounds until the routing holds; 0 for one round. */
    readonly waitSeconds: number;
    /** Print JSON instead of the table. */
    readonly json: boolean;
    /** Prometheus's address: also judge the requests the mesh itself recorded. */
    readonly prometheus?: string;
    readonly help: boolean;
}

/**
 * Pages per reader by default. Most modes differ from each other in an outcome one shows and
 * the other never does; the rarest is the default canary's 10% of v3, missed in all of 100
 * pages with probability 0.9^100 ≈ 3e-5. canary and v3-50 differ in weight only (10% against
 * 50%), far beyond the tolerance at 100 pages (±12 and ±20 points). 200 pages take seconds.
 */
export const DEFAULT_REQUESTS = 100;

/** Requests in flight at once by default: quick, and gentle on two small nodes. */
export const DEFAULT_CONCURRENCY = 8;

/**
 * Seconds to wait for one page by default: above productpage's own give-up on reviews (3 s,
 * tried twice, so about 6 s under a ratings delay), so such pages are read, not timed out.
 */
export const DEFAULT_TIMEOUT_SECONDS = 10;

/** A mistake in the command line: the command prints it and exits with status 2. */
export class UsageError extends Error {}

/** The canary's percent that a stack without canaryWeight, and `--expect canary`, use. */
export const DEFAULT_CANARY_WEIGHT = defaultTrafficOptions("canary").canaryWeight;

/** One option of `npm run verify`, for the parser, the help and the error messages. */
export interface VerifyOptionSpec {
    /** What the value is, e.g. "<url>"; "" for a flag without a value. */
    readonly value: string;
    /** One line for `--help`. */
    readonly help: string;
    /** A one-letter alias, e.g. "h" for -h. */
    readonly short?: string;
}

/** Every option `npm run verify` takes, in the order `--help` lists them. */
export const VERIFY_OPTIONS = {
    url: { value: "<url>", help: "product page (default: the stack output productPageUrl)" },
    expect: {
        value: "<mode>",
        help: "routing mode to expect, see below (default: the stack output reviewsExpectation)",
    },
    "canary-weight": {
        value: "<percent>",
        help: `with --expect canary: percent for v3 (default ${DEFAULT_CANARY_WEIGHT})`,
    },
    requests: { value: "<n>", help: `pages per reader (default ${DEFAULT_REQUESTS})` },
    concurrency: { value: "<n>", help: `requests at once (default ${DEFAULT_CONCURRENCY})` },
    timeout: {
        value: "<seconds>",
        help: `wait this long for each page (default ${DEFAULT_TIMEOUT_SECONDS})`,
    },
    wait: {
        value: "<seconds>",
        help: "repeat rounds until the page answers and the routing holds, or this time is up (default 0)",
    },
    json: { value: "", help: "print counts, expectation and verdict as JSON" },
    prometheus: {
        value: "<url>",
        help: "also judge the reviews requests the mesh recorded, from this Prometheus",
    },
    help: { value: "", short: "h", help: "print this help" },
} as const satisfies Record<string, VerifyOptionSpec>;

type OptionName = keyof typeof VERIFY_OPTIONS;

const isOptionName = (name: string): name is OptionName =>
    Object.prototype.hasOwnProperty.call(VERIFY_OPTIONS, name);

function wholeNumber(option: string, text: string, min: number, max: number): number {
    const n = Number(text);
    if (!/^\d+$/.test(text) || n < min || n > max) {
        throw new UsageError(`${option} "${text}": expected a whole number from ${min} to ${max}`);
    }
    return n;
}

function seconds(option: string, text: string, allowZero: boolean, max: number): number {
    const n = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || n > max || (!allowZero && n === 0)) {
        throw new UsageError(
            `${option} "${text}": expected seconds, ${allowZero ? "from 0" : "more than 0"} up to ${max}`,
        );
    }
    return n;
}

/**
 * The options as given, by name: Node's `util.parseArgs` splits the command line (`--name value`,
 * `--name=value`, `-h`); the checks here turn its loose reading into messages that name the
 * option and what it takes. It runs non-strict because strict mode's own errors are worded for
 * programmers ("Option '--expect <value>' argument missing") and would not name the modes.
 */
function givenOptions(argv: readonly string[]): Partial<Record<OptionName, string>> {
    const options = Object.fromEntries(
        Object.entries(VERIFY_OPTIONS).map(([name, spec]: [string, VerifyOptionSpec]) => [
            name,
            {
                type: spec.value === "" ? ("boolean" as const) : ("string" as const),
                ...(spec.short === undefined ? {} : { short: spec.short }),
            },
        ]),
    );
    const { tokens } = parseArgs({
        args: [...argv],
        options,
        strict: false,
        allowPositionals: true,
        tokens: true,
    });
    const given: Partial<Record<OptionName, string>> = {};
    for (const token of tokens) {
        if (token.kind === "positional") {
            throw new UsageError(
                `unexpected argument "${token.value}"; options take the form --name value`,
            );
        }
        if (token.kind !== "option") {
            continue; // "--": what follows is positional, and refused above
        }
        if (!isOptionName(token.name)) {
            const known = Object.keys(VERIFY_OPTIONS).map((o) => `--${o}`);
            throw new UsageError(
                `unknown option ${token.rawName}; expected one of ${known.join(", ")}`,
            );
        }
        const option = `--${token.name}`;
        const spec: VerifyOptionSpec = VERIFY_OPTIONS[token.name];
        if (spec.value === "") {
            if (token.inlineValue) {
                throw new UsageError(`${option} takes no value`);
            }
            given[token.name] = "";
        } else if (
            token.value === undefined ||
            (!token.inlineValue && token.value.startsWith("--"))
        ) {
            // Non-strict parseArgs takes the next argument whatever it is: `--expect --json`
            // is a missing mode, not the mode "--json".
            throw new UsageError(`${option} needs a value: ${option} ${spec.value}`);
        } else {
            given[token.name] = token.value;
        }
    }
    return given;
}

/**
 * Parses `npm run verify` arguments: `--name value` or `--name=value`, with Node's
 * `util.parseArgs`.
 *
 * @throws UsageError naming the option, the value and what is allowed.
 */
export function parseVerifyArgs(argv: readonly string[]): VerifyArgs {
    const given = givenOptions(argv);

    const httpUrl = (option: OptionName): string | undefined => {
        const text = given[option];
        if (text === undefined) {
            return undefined;
        }
        let parsed: URL | undefined;
        try {
            parsed = new URL(text);
        } catch {
            parsed = undefined;
        }
        if (parsed === undefined || !["http:", "https:"].includes(parsed.protocol)) {
            throw new UsageError(`--${option} "${text}": expected an http:// or https:// address`);
        }
        return text;
    };
    const url = httpUrl("url");
    const prometheus = httpUrl("prometheus");
    let expect: RoutingMode | undefined;
    if (given.expect !== undefined) {
        const mode = given.expect;
        if (!isRoutingMode(mode)) {
            throw new UsageError(
                `--expect "${mode}": expected a routing mode, one of ${ROUTING_MODE_NAMES.join(", ")}`,
            );
        }
        expect = mode;
    }
    let canaryWeight: number | undefined;
    if (given["canary-weight"] !== undefined) {
        canaryWeight = wholeNumber("--canary-weight", given["canary-weight"], 0, 100);
        if (expect !== "canary") {
            throw new UsageError(
                "--canary-weight goes with --expect canary (the stack's own expectation has its weight)",
            );
        }
    }
    const number = (option: OptionName, parse: (text: string) => number, fallback: number) => {
        const text = given[option];
        return text === undefined ? fallback : parse(text);
    };
    return {
        url,
        expect,
        canaryWeight,
        requests: number(
            "requests",
            (t) => wholeNumber("--requests", t, 1, 10000),
            DEFAULT_REQUESTS,
        ),
        concurrency: number(
            "concurrency",
            (t) => wholeNumber("--concurrency", t, 1, 100),
            DEFAULT_CONCURRENCY,
        ),
        timeoutSeconds: number(
            "timeout",
            (t) => seconds("--timeout", t, false, 600),
            DEFAULT_TIMEOUT_SECONDS,
        ),
        waitSeconds: number("wait", (t) => seconds("--wait", t, true, 3600), 0),
        json: given.json !== undefined,
        ...(prometheus === undefined ? {} : { prometheus }),
        help: given.help !== undefined,
    };
}

/**
 * `npm run verify -- --help`: what the command does, its exit statuses, every option, and the
 * routing modes `--expect` takes with what each shows.
 */
export function verifyUsage(): string {
    const optionRows = Object.entries(VERIFY_OPTIONS).map(
        ([name, spec]: [string, VerifyOptionSpec]) => [
            `${spec.short === undefined ? "" : `-${spec.short}, `}--${name}` +
                (spec.value === "" ? "" : ` ${spec.value}`),
            spec.help,
        ],
    );
    const modeRows = Object.entries(ROUTING_MODES).map(([mode, def]) => [mode, def.summary]);
    const rows = (list: string[][]) => {
        const width = Math.max(...list.map(([first]) => first.length)) + 2;
        return list.map(([first, text]) => `  ${first.padEnd(width)}${text}`).join("\n");
    };
    return [
        "Usage: npm run verify -- [options]",
        "",
        `Loads the product page as readers would (anonymous, and signed in as ${TEST_USER}), reads the`,
        "reviews version of each page (v1 no stars, v2 black stars, v3 red stars, or an error), and",
        "checks the counts against what the routing should give. Exit status: 0 the routing holds,",
        "1 it does not, 2 the check could not be made (a bad option, no stack outputs, the page could",
        "not be reached or not be read).",
        "",
        "Options:",
        rows(optionRows),
        "",
        "Routing modes (--expect):",
        rows(modeRows),
        "",
    ].join("\n");
}

/** Seconds for people: "0.4 s", "3 s", "12 s". */
export function formatSeconds(s: number): string {
    return `${s < 10 ? Number(s.toFixed(1)) : Math.round(s)} s`;
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
