/**
 * The pure half of `npm run verify`: reading a product page's reviews version off its HTML
 * (lib/verifyPage.ts), counting what each reader saw (lib/verifyTally.ts), judging the counts
 * against the stack's expectation (lib/verifyJudge.ts), and parsing the command's arguments
 * (lib/verifyArgs.ts). scripts/verify.ts does the requests and the printing, and imports them
 * all from here.
 */

export {
    classifyPage,
    errorOutcome,
    fetchFailure,
    formatSeconds,
    isSignedIn,
    OUTCOME_LABELS,
    PAGE_ERRORS,
    STAR_COLOURS,
    starColours,
} from "./verifyPage";
export type { PageOutcome } from "./verifyPage";
export { cannotJudge, newTally, outcomesOf, pad, record, renderTally } from "./verifyTally";
export type { CannotJudge, ReaderTally, Tally } from "./verifyTally";
export {
    expectationForMode,
    formatShare,
    judge,
    judgeOutcomes,
    parseExpectation,
    tolerance,
    TOLERANCE_SIGMAS,
} from "./verifyJudge";
export type { Verdict } from "./verifyJudge";
export {
    DEFAULT_CANARY_WEIGHT,
    DEFAULT_CONCURRENCY,
    DEFAULT_REQUESTS,
    DEFAULT_TIMEOUT_SECONDS,
    parseVerifyArgs,
    UsageError,
    VERIFY_OPTIONS,
    verifyUsage,
} from "./verifyArgs";
export type { VerifyArgs, VerifyOptionSpec } from "./verifyArgs";
