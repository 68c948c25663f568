import * as assert from "assert/strict";

import { defaultTrafficOptions, ExpectedShares, expectedShares, RoutingMode } from "../lib/routing";
import {
    classifyPage,
    expectationForMode,
    formatShare,
    isSignedIn,
    judge,
    PAGE_ERRORS,
    parseExpectation,
    parseVerifyArgs,
    tolerance,
    UsageError,
} from "../lib/verify";
import { PageStyle, productPage, ReviewsShown } from "./productpageStub";

const VERSIONS = ["v1", "v2", "v3"];
const STYLES: PageStyle[] = ["tailwind", "glyphicon"];

/** What a stack with only this mode (and canary weight) expects. */
function sharesOf(mode: RoutingMode, canaryWeight?: number): ExpectedShares {
    return expectationForMode(mode, canaryWeight, VERSIONS);
}

describe("classifyPage", () => {
    for (const style of STYLES) {
        describe(`${style} markup`, () => {
            const cases: [ReviewsShown, object][] = [
                ["v1", { outcome: "v1" }],
                ["v2", { outcome: "v2" }],
                ["v3", { outcome: "v3" }],
                [
                    "ratings-unavailable",
                    { outcome: "error", reason: PAGE_ERRORS.ratingsUnavailable },
                ],
                [
                    "reviews-unavailable",
                    { outcome: "error", reason: PAGE_ERRORS.reviewsUnavailable },
                ],
                ["no-reviews", { outcome: "error", reason: PAGE_ERRORS.noReviewsSection }],
                ["mixed-stars", { outcome: "error", reason: "stars coloured black and red" }],
            ];
            for (const [shown, outcome] of cases) {
                it(`reads ${shown}`, () => {
                    assert.deepEqual(classifyPage(productPage(shown, { style })), outcome);
                });
            }

            it("looks at the reviews only: the details' red error message is not a star", () => {
                for (const shown of ["v1", "v3"] as const) {
                    assert.deepEqual(
                        classifyPage(productPage(shown, { style, detailsError: true })),
                        { outcome: shown },
                    );
                }
            });

            it("tells a signed-in page by its sign-out link", () => {
                assert.equal(isSignedIn(productPage("v2", { style, user: "jason" })), true);
                assert.equal(isSignedIn(productPage("v2", { style })), false);
            });
        });
    }

    it("calls an answer that is not a product page an error", () => {
        assert.deepEqual(
            classifyPage("upstream connect error or disconnect/reset before headers"),
            {
                outcome: "error",
                reason: PAGE_ERRORS.noReviewsSection,
            },
        );
    });
});

describe("judge", () => {
    const mode = sharesOf;
    const pages = (v1: number, v2: number, v3: number, error = 0) => ({ v1, v2, v3, error });

    it("holds when every page is the one expected version", () => {
        assert.deepEqual(
            judge({ anonymous: pages(100, 0, 0), jason: pages(0, 100, 0) }, mode("jason-v2")),
            { holds: true, problems: [] },
        );
    });

    it("names what was seen instead when one version should be on every page", () => {
        assert.deepEqual(
            judge({ anonymous: pages(100, 0, 0), jason: pages(100, 0, 0) }, mode("jason-v2")),
            {
                holds: false,
                problems: [
                    "jason: v2 (black stars) expected on every page, seen on 0 of 100; instead: v1 (no stars) on 100",
                ],
            },
        );
        assert.deepEqual(
            judge({ anonymous: pages(97, 0, 0, 3), jason: pages(100, 0, 0) }, mode("all-v1"))
                .problems,
            [
                "anonymous: v1 (no stars) expected on every page, seen on 97 of 100; instead: error on 3",
            ],
        );
    });

    it("refuses an outcome with share 0, even once", () => {
        assert.deepEqual(
            judge({ anonymous: pages(50, 1, 49), jason: pages(50, 0, 50) }, mode("v3-50")).problems,
            ["anonymous: v2 (black stars) on 1 of 100 pages; expected none"],
        );
    });

    it("accepts round-robin's thirds within the tolerance, and wants each version seen", () => {
        assert.deepEqual(
            judge({ anonymous: pages(33, 33, 34), jason: pages(20, 40, 40) }, mode("round-robin")),
            { holds: true, problems: [] },
        );
        assert.deepEqual(
            judge({ anonymous: pages(100, 0, 0), jason: pages(34, 33, 33) }, mode("round-robin"))
                .problems,
            [
                "anonymous: v1 (no stars) on 100 of 100 pages (100%); expected 33.3% ± 18.9%",
                "anonymous: v2 (black stars) never seen in 100 pages; expected 33.3%",
                "anonymous: v3 (red stars) never seen in 100 pages; expected 33.3%",
            ],
        );
    });

    it("allows a 10% canary 4 standard deviations (12 points at 100 pages) and no more", () => {
        const canary = mode("canary", 10);
        assert.ok(Math.abs(tolerance(0.1, 100) - 0.12) < 1e-12);
        assert.deepEqual(judge({ anonymous: pages(78, 0, 22), jason: pages(99, 0, 1) }, canary), {
            holds: true,
            problems: [],
        });
        assert.deepEqual(
            judge({ anonymous: pages(77, 0, 23), jason: pages(100, 0, 0) }, canary).problems,
            [
                "anonymous: v1 (no stars) on 77 of 100 pages (77%); expected 90% ± 12%",
                "anonymous: v3 (red stars) on 23 of 100 pages (23%); expected 10% ± 12%",
                "jason: v3 (red stars) never seen in 100 pages; expected 10%",
            ],
        );
    });

    it("expects errors where a ratings fault breaks jason's pages", () => {
        const faulted = expectedShares(
            {
                ...defaultTrafficOptions("v3-50"),
                ratingsFault: { kind: "abort", httpStatus: 500 },
            },
            VERSIONS,
        );
        assert.deepEqual(
            judge({ anonymous: pages(45, 0, 55), jason: pages(52, 0, 0, 48) }, faulted),
            { holds: true, problems: [] },
        );
    });

    it("wants pages from every reader", () => {
        assert.deepEqual(
            judge({ anonymous: pages(0, 0, 0), jason: pages(10, 0, 0) }, mode("all-v1")).problems,
            ["anonymous: no pages"],
        );
    });

    it("prints shares as short percentages", () => {
        assert.deepEqual([0, 0.1, 1 / 3, 0.025, 1].map(formatShare), [
            "0%",
            "10%",
            "33.3%",
            "2.5%",
            "100%",
        ]);
    });
});

describe("parseExpectation", () => {
    it("takes the stack output as it is", () => {
        const shares = sharesOf("canary", 25);
        assert.deepEqual(parseExpectation(JSON.parse(JSON.stringify(shares))), shares);
        assert.deepEqual(shares.anonymous, { v1: 0.75, v2: 0, v3: 0.25, error: 0 });
    });

    const bad: [unknown, string][] = [
        [null, "reviewsExpectation: expected an object with anonymous and jason"],
        [{ anonymous: { v1: 1 } }, "reviewsExpectation.jason: expected outcomes mapped to shares"],
        [
            { anonymous: { v1: 1.5 }, jason: { v1: 1 } },
            "reviewsExpectation.anonymous.v1 is 1.5: expected a share from 0 to 1",
        ],
        [
            { anonymous: { v1: 0.5 }, jason: { v1: 1 } },
            "reviewsExpectation.anonymous: shares add up to 0.5, expected 1",
        ],
    ];
    for (const [value, message] of bad) {
        it(`refuses ${JSON.stringify(value)}`, () => {
            assert.throws(() => parseExpectation(value), { message });
        });
    }
});

describe("parseVerifyArgs", () => {
    it("defaults to the stack's page and expectation, 100 pages per reader, 8 at a time", () => {
        assert.deepEqual(parseVerifyArgs([]), {
            url: undefined,
            expect: undefined,
            canaryWeight: undefined,
            requests: 100,
            concurrency: 8,
            timeoutSeconds: 10,
            waitSeconds: 0,
            json: false,
            help: false,
        });
    });

    it("takes every option, as --name value or --name=value", () => {
        assert.deepEqual(
            parseVerifyArgs([
                "--url",
                "http://127.0.0.1:8080/productpage",
                "--expect=canary",
                "--canary-weight",
                "25",
                "--requests=40",
                "--concurrency",
                "4",
                "--timeout",
                "2.5",
                "--wait",
                "60",
                "--json",
            ]),
            {
                url: "http://127.0.0.1:8080/productpage",
                expect: "canary",
                canaryWeight: 25,
                requests: 40,
                concurrency: 4,
                timeoutSeconds: 2.5,
                waitSeconds: 60,
                json: true,
                help: false,
            },
        );
    });

    const bad: [string[], string][] = [
        [
            ["--expect", "v4"],
            '--expect "v4": expected a routing mode, one of round-robin, all-v1, jason-v2, v3-50, all-v3, jason-v2-else-v3, canary',
        ],
        [["--requests", "0"], '--requests "0": expected a whole number from 1 to 10000'],
        [["--requests=many"], '--requests "many": expected a whole number from 1 to 10000'],
        [["--concurrency", "1.5"], '--concurrency "1.5": expected a whole number from 1 to 100'],
        [["--timeout", "0"], '--timeout "0": expected seconds, more than 0 up to 600'],
        [["--wait", "-1"], '--wait "-1": expected seconds, from 0 up to 3600'],
        [
            ["--expect", "canary", "--canary-weight", "101"],
            '--canary-weight "101": expected a whole number from 0 to 100',
        ],
        [
            ["--canary-weight", "20", "--expect", "all-v1"],
            "--canary-weight goes with --expect canary (the stack's own expectation has its weight)",
        ],
        [
            ["--url", "ftp://127.0.0.1/"],
            '--url "ftp://127.0.0.1/": expected an http:// or https:// address',
        ],
        [
            ["--frobnicate"],
            "unknown option --frobnicate; expected one of --url, --expect, --canary-weight, --requests, --concurrency, --timeout, --wait, --json, --help",
        ],
        [["jason-v2"], 'unexpected argument "jason-v2"; options take the form --name value'],
        [["--expect"], "--expect needs a value: --expect <mode>"],
        [["--expect", "--json"], "--expect needs a value: --expect <mode>"],
        [["--json=yes"], "--json takes no value"],
    ];
    for (const [argv, message] of bad) {
        it(`refuses ${argv.join(" ")}`, () => {
            assert.throws(
                () => parseVerifyArgs(argv),
                (e: Error) => {
                    assert.ok(e instanceof UsageError);
                    assert.equal(e.message, message);
                    return true;
                },
            );
        });
    }
});
