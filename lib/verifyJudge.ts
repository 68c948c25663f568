/**
 * Judging counts against an expectation: the statistical tolerance, the verdict per reader (and,
 * through {@link judgeOutcomes}, for the mesh's own counts in lib/meshView.ts), and reading the
 * expectation a stack exports or a routing mode implies.
 */
import {
    defaultTrafficOptions,
    ExpectedShares,
    expectedShares,
    Reader,
    READERS,
    RoutingMode,
} from "./routing";
import { OUTCOME_LABELS } from "./verifyPage";

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
