/**
 * Reading one product page for `npm run verify`: the reviews version its stars show, or the
 * error it (or a failed request) amounts to.
 */
import { ERROR_OUTCOME, NO_STARS_VERSION } from "./routing";

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

/** Seconds for people: "0.4 s", "3 s", "12 s". */
export function formatSeconds(s: number): string {
    return `${s < 10 ? Number(s.toFixed(1)) : Math.round(s)} s`;
}
