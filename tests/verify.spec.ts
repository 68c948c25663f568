import * as assert from "assert/strict";
import dns from "dns";
import * as fs from "fs";
import * as http from "http";
import { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";

import {
    callsRatings,
    defaultTrafficOptions,
    ExpectedShares,
    expectedShares,
    NO_STARS_VERSION,
    ROUTING_MODES,
    RoutingMode,
} from "../lib/routing";
import {
    classifyPage,
    OUTCOME_LABELS,
    STAR_COLOURS,
    expectationForMode,
    formatShare,
    isSignedIn,
    judge,
    PAGE_ERRORS,
    parseExpectation,
    parseVerifyArgs,
    tolerance,
    UsageError,
    VERIFY_OPTIONS,
    verifyUsage,
} from "../lib/verify";
import { main, pulumiStackOutputs, VerifyIo } from "../scripts/verify";
import { FakePulumi } from "./fakePulumi";
import {
    byUser,
    PageStyle,
    productPage,
    ProductpageStub,
    randomMix,
    ReviewsShown,
} from "./productpageStub";

const VERSIONS = ["v1", "v2", "v3"];
const STYLES: PageStyle[] = ["tailwind", "glyphicon"];

/** What a stack with only this mode (and canary weight) expects. */
function sharesOf(mode: RoutingMode, canaryWeight?: number): ExpectedShares {
    return expectationForMode(mode, canaryWeight, VERSIONS);
}

describe("classifyPage", () => {
    it("reads a page without stars as v1, the one version that never calls ratings", () => {
        assert.equal(NO_STARS_VERSION, "v1");
        assert.deepEqual(VERSIONS.filter(callsRatings), ["v2", "v3"]);
        assert.deepEqual(VERSIONS.filter(callsRatings), Object.values(STAR_COLOURS));
        assert.deepEqual(OUTCOME_LABELS, {
            v1: "v1 (no stars)",
            v2: "v2 (black stars)",
            v3: "v3 (red stars)",
            error: "error",
        });
    });

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

describe("verifyUsage", () => {
    const usage = verifyUsage();

    it("lists every option with its value and what it does", () => {
        for (const [name, spec] of Object.entries(VERIFY_OPTIONS)) {
            const line = usage.split("\n").find((l) => l.includes(`--${name}`));
            assert.ok(line !== undefined, `--${name} is listed`);
            assert.ok(line.includes(spec.value) && line.includes(spec.help), line);
        }
    });

    it("lists every routing mode --expect takes, with what it shows", () => {
        const modes = usage
            .slice(usage.indexOf("Routing modes (--expect):\n"))
            .split("\n")
            .slice(1, -1);
        assert.deepEqual(
            modes.map((line) => line.trim().split(/ {2,}/)),
            Object.entries(ROUTING_MODES).map(([mode, def]) => [mode, def.summary]),
        );
    });
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
            "unknown option --frobnicate; expected one of --url, --expect, --canary-weight, --requests, --concurrency, --timeout, --wait, --json, --prometheus, --help",
        ],
        [["jason-v2"], 'unexpected argument "jason-v2"; options take the form --name value'],
        [["--expect"], "--expect needs a value: --expect <mode>"],
        [["--expect", "--json"], "--expect needs a value: --expect <mode>"],
        [["--json=yes"], "--json takes no value"],
        [["--help=me"], "--help takes no value"],
        [
            ["-x"],
            "unknown option -x; expected one of --url, --expect, --canary-weight, --requests, --concurrency, --timeout, --wait, --json, --prometheus, --help",
        ],
        [["--", "--json"], 'unexpected argument "--json"; options take the form --name value'],
    ];
    it("takes -h for --help, and the last of a repeated option", () => {
        assert.equal(parseVerifyArgs(["-h"]).help, true);
        assert.equal(parseVerifyArgs(["--requests", "5", "--requests=7"]).requests, 7);
    });

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

/**
 * A clock of the test's own: it moves only when verify sleeps (a pause between --wait's rounds),
 * never while pages load, so rounds and seconds come out exact however loaded the machine is.
 */
class TestClock {
    private ms = 0;
    /** Every sleep verify asked for, in milliseconds. */
    public readonly sleeps: number[] = [];
    readonly now = () => this.ms;
    readonly sleep = (ms: number) => {
        this.sleeps.push(ms);
        this.ms += ms;
        return Promise.resolve();
    };
}

/** Runs the command in-process on a test clock; the stack reader fails unless a test gives one. */
async function verify(
    argv: string[],
    options: {
        tty?: boolean;
        readStackOutputs?: VerifyIo["readStackOutputs"];
        clock?: TestClock;
    } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const clock = options.clock ?? new TestClock();
    const code = await main(argv, {
        stdout: { write: (t: string) => out.push(t) },
        stderr: { write: (t: string) => err.push(t), isTTY: options.tty },
        readStackOutputs:
            options.readStackOutputs ?? (() => Promise.reject(new Error("this test has no stack"))),
        now: clock.now,
        sleep: clock.sleep,
    });
    return { code, stdout: out.join(""), stderr: err.join("") };
}

describe("npm run verify against a product page on 127.0.0.1", () => {
    let stub: ProductpageStub | undefined;
    afterEach(async () => {
        await stub?.close();
        stub = undefined;
    });
    const start = async (...args: Parameters<typeof ProductpageStub.start>) => {
        stub = await ProductpageStub.start(...args);
        return stub;
    };

    it("prints the table and passes when the routing holds", async () => {
        const { url } = await start(byUser("v1", "v1"));
        const run = await verify(["--url", url, "--expect", "all-v1", "--requests", "5"]);
        assert.equal(run.code, 0);
        assert.equal(
            run.stdout,
            [
                `Product page: ${url}`,
                "Expected: --expect all-v1",
                "Pages: 5 per reader, 8 at a time; tolerance ±4 standard deviations",
                "",
                "pages      v1  v2  v3  error",
                "anonymous   5   0   0      0",
                "jason       5   0   0      0",
                "",
                "expected     v1  v2  v3  error",
                "anonymous  100%  0%  0%     0%",
                "jason      100%  0%  0%     0%",
                "",
                "OK: the routing holds.",
                "",
            ].join("\n"),
        );
        assert.equal(run.stderr, "");
    });

    it("signs in as jason by the form, with the page as Referer, and keeps the session", async () => {
        const s = await start(byUser("v1", "v2"), "glyphicon");
        const run = await verify(["--url", s.url, "--expect", "jason-v2", "--requests", "6"]);
        assert.equal(run.code, 0, run.stdout);
        assert.match(run.stdout, /\njason +0 +6 +0 +0\n/);
        assert.deepEqual(s.logins, [
            { form: { username: "jason", passwd: "jason" }, referer: s.url },
        ]);
    });

    it("catches a wrong routing: all-v1 served where jason-v2 is expected", async () => {
        const { url } = await start(byUser("v1", "v1"));
        const run = await verify(["--url", url, "--expect", "jason-v2", "--requests", "8"]);
        assert.equal(run.code, 1);
        assert.ok(
            run.stdout.endsWith(
                "WRONG: the routing does not match:\n" +
                    "  - jason: v2 (black stars) expected on every page, seen on 0 of 8; instead: v1 (no stars) on 8\n",
            ),
            run.stdout,
        );
    });

    it("accepts a random mix of the three versions as round-robin, and refuses it as v3-50", async () => {
        const { url } = await start(randomMix({ v1: 1, v2: 1, v3: 1 }, 7));
        const args = ["--url", url, "--requests", "30", "--concurrency", "5"];
        assert.equal((await verify([...args, "--expect", "round-robin"])).code, 0);
        const wrong = await verify([...args, "--expect", "v3-50"]);
        assert.equal(wrong.code, 1);
        assert.match(
            wrong.stdout,
            /- anonymous: v2 \(black stars\) on \d+ of 30 pages; expected none/,
        );
    });

    it("counts failed and broken pages as errors, each with its reason", async () => {
        const { url } = await start(({ index, user }) =>
            user === undefined
                ? index % 8 === 0
                    ? { status: 503 }
                    : "v1"
                : index % 8 === 1
                  ? "reviews-unavailable"
                  : "v1",
        );
        const run = await verify([
            "--url",
            url,
            "--expect",
            "all-v1",
            "--requests",
            "8",
            "--concurrency",
            "1",
        ]);
        assert.equal(run.code, 1);
        assert.match(run.stdout, /\nanonymous +6 +0 +0 +2\njason +6 +0 +0 +2\n/);
        assert.match(
            run.stdout,
            /\nerrors of anonymous: 2 × HTTP 503\nerrors of jason: 2 × reviews unavailable \(Error fetching product reviews\)\n/,
        );
    });

    it("gives up on slow pages after --timeout", async () => {
        const { url } = await start(byUser("v1", { delayMs: 2000, then: "v2" }));
        const run = await verify([
            "--url",
            url,
            "--expect",
            "jason-v2",
            "--requests",
            "3",
            "--timeout",
            "0.1",
        ]);
        assert.equal(run.code, 1);
        assert.match(run.stdout, /\nerrors of jason: 3 × no answer within 0\.1 s\n/);
    });

    it("reports a failed sign-in on every page of jason", async () => {
        const s = await start(byUser("v1", "v2"));
        s.loginStatus = 500;
        const run = await verify(["--url", s.url, "--expect", "jason-v2", "--requests", "3"]);
        assert.equal(run.code, 1);
        assert.match(run.stdout, /\nerrors of jason: 3 × sign-in as jason failed: HTTP 500\n/);
    });

    /** A port on 127.0.0.1 that nothing listens on: connections to it are refused. */
    async function closedPort(): Promise<number> {
        const server = http.createServer();
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        const { port } = server.address() as AddressInfo;
        await new Promise((resolve) => server.close(resolve));
        return port;
    }

    it("exits 2, not 1, when the connection is refused: the network, not the routing", async () => {
        const url = `http://127.0.0.1:${await closedPort()}/productpage`;
        const run = await verify(["--url", url, "--expect", "all-v1", "--requests", "2"]);
        assert.deepEqual(run, {
            code: 2,
            stdout: "",
            stderr:
                `verify: could not reach the product page at ${url}: ECONNREFUSED (4 of 4 pages)\n` +
                "Nothing accepts connections there: for a local cluster, is the kubectl " +
                "port-forward running? Right after a deploy, the load balancer may not be ready " +
                "yet. This is the network, not the routing: wait and run again, or use --wait 60.\n",
        });
    });

    it("exits 2 when the host name does not resolve, asking no real DNS server", async () => {
        // Node's fetch resolves names with dns.lookup: answered here as a resolver answers a name
        // that does not exist, so no query leaves the machine (and .invalid never resolves).
        const looked: string[] = [];
        const lookup = dns.lookup;
        const notFound = (hostname: string, ...rest: unknown[]) => {
            looked.push(hostname);
            const callback = rest[rest.length - 1] as (e: Error) => void;
            const e = Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), {
                code: "ENOTFOUND",
                syscall: "getaddrinfo",
                hostname,
            });
            process.nextTick(callback, e);
        };
        (dns as { lookup: unknown }).lookup = notFound;
        let run: Awaited<ReturnType<typeof verify>>;
        try {
            run = await verify([
                "--url",
                "http://a1b2c3.elb.verify-test.invalid/productpage",
                "--expect",
                "all-v1",
                "--requests",
                "3",
            ]);
        } finally {
            (dns as { lookup: unknown }).lookup = lookup;
        }
        assert.ok(looked.length > 0 && looked.every((h) => h === "a1b2c3.elb.verify-test.invalid"));
        assert.deepEqual(run, {
            code: 2,
            stdout: "",
            stderr:
                "verify: could not reach the product page at " +
                "http://a1b2c3.elb.verify-test.invalid/productpage: ENOTFOUND (6 of 6 pages)\n" +
                "The host name does not resolve (yet): a new load balancer's name takes a minute " +
                "or two to appear in DNS. This is the network, not the routing: wait and run " +
                "again, or use --wait 60.\n",
        });
    });

    it("exits 2 even when only some connections fail: those pages say nothing", async () => {
        const { url } = await start(({ index }) => (index % 4 === 0 ? { drop: true } : "v1"));
        const run = await verify(["--url", url, "--expect", "all-v1", "--requests", "4"]);
        assert.equal(run.code, 2);
        assert.equal(run.stdout, "");
        assert.match(
            run.stderr,
            /^verify: could not reach the product page at http:\/\/127\.0\.0\.1:\d+\/productpage: UND_ERR_SOCKET \(2 of 8 pages\)\n/,
        );
    });

    it("explains a port Node refuses to use, and does not wait for it to change", async () => {
        const url = "http://127.0.0.1:6000/productpage";
        const run = await verify(["--url", url, "--expect", "all-v1", "--wait", "30"]);
        assert.deepEqual(run, {
            code: 2,
            stdout: "",
            stderr:
                `verify: could not reach the product page at ${url}: bad port (200 of 200 pages)\n` +
                "Node's fetch refuses to connect to port 6000: it is on the Fetch standard's list " +
                'of "bad ports" that browsers block too (they belong to other protocols). Reach ' +
                "the page on another port, e.g. kubectl port-forward ... 8080:80.\n",
        });
    });

    it("exits 2 when every page times out: nothing was read", async () => {
        const { url } = await start(
            byUser({ delayMs: 2000, then: "v1" }, { delayMs: 2000, then: "v1" }),
        );
        const run = await verify([
            "--url",
            url,
            "--expect",
            "all-v1",
            "--requests",
            "2",
            "--timeout",
            "0.1",
        ]);
        assert.deepEqual(run, {
            code: 2,
            stdout: "",
            stderr:
                `verify: could not reach the product page at ${url}: 4 × no answer within 0.1 s\n` +
                "This is the network, not the routing: wait and run again, or use --wait 60.\n",
        });
    });

    it("exits 2 when something answers, but never with a product page", async () => {
        const { url } = await start(() => ({ status: 503 }));
        const run = await verify(["--url", url, "--expect", "all-v1", "--requests", "2"]);
        assert.deepEqual(run, {
            code: 2,
            stdout: "",
            stderr:
                `verify: no product page could be read at ${url}: 4 × HTTP 503\n` +
                "Something answers, but not with Bookinfo's product page: check the URL, the Gateway " +
                "and the bookinfo VirtualService (kubectl get gateways,virtualservices -n bookinfo) " +
                "and that the pods are ready. Right after a deploy, use --wait 60.\n",
        });
    });

    it("with --wait, keeps trying while the page cannot be reached, then says so", async () => {
        const url = `http://127.0.0.1:${await closedPort()}/productpage`;
        const clock = new TestClock();
        const run = await verify(
            ["--url", url, "--expect", "all-v1", "--requests", "1", "--wait", "5"],
            { clock },
        );
        assert.equal(run.code, 2);
        // Rounds at 0, 2, 4 and, after the last second left, 5 s.
        assert.deepEqual(clock.sleeps, [2000, 2000, 1000]);
        const refused = `could not reach the product page at ${url}: ECONNREFUSED (2 of 2 pages)`;
        assert.equal(
            run.stderr,
            `round 1: not yet (${refused}); trying again, 5 s left\n` +
                `round 2: not yet (${refused}); trying again, 3 s left\n` +
                `round 3: not yet (${refused}); trying again, 1 s left\n` +
                `verify: ${refused} (still after 5 s, 4 rounds)\n` +
                "Nothing accepts connections there: for a local cluster, is the kubectl port-forward " +
                "running? Right after a deploy, the load balancer may not be ready yet. This is the " +
                "network, not the routing: wait and run again, or use --wait 60.\n",
        );
    });

    it("with --wait, repeats rounds until a routing change has arrived", async () => {
        const s = await start(({ index, user }) =>
            index < 20 || user === undefined ? "v1" : "v2",
        );
        const clock = new TestClock();
        const run = await verify(
            ["--url", s.url, "--expect", "jason-v2", "--requests", "10", "--wait", "5"],
            { clock },
        );
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.deepEqual(clock.sleeps, [2000]);
        assert.match(run.stdout, /\nOK: the routing holds \(held after 2 rounds, 2 s\)\.\n$/);
        assert.match(run.stdout, /Pages: 10 per reader \(last of 2 rounds\)/);
        assert.equal(
            run.stderr,
            "round 1: not yet (jason: v2 (black stars) expected on every page, seen on 0 of 10; " +
                "instead: v1 (no stars) on 10); trying again, 5 s left\n",
        );
    });

    it("with --wait, says how long the routing stayed wrong", async () => {
        const { url } = await start(byUser("v1", "v1"));
        const clock = new TestClock();
        const run = await verify(
            ["--url", url, "--expect", "jason-v2", "--requests", "4", "--wait", "2.5"],
            { clock },
        );
        assert.equal(run.code, 1);
        assert.deepEqual(clock.sleeps, [2000, 500]);
        assert.match(
            run.stdout,
            /\nWRONG: the routing does not match \(still wrong after 2\.5 s, 3 rounds\):\n/,
        );
    });

    it("prints counts, expectation and verdict as JSON with --json", async () => {
        const { url } = await start(byUser("v1", "v3"));
        const run = await verify([
            "--url",
            url,
            "--expect",
            "jason-v2",
            "--requests",
            "4",
            "--json",
        ]);
        assert.equal(run.code, 1);
        const report = JSON.parse(run.stdout);
        // No time passes on the test's clock while pages load.
        assert.equal(report.seconds, 0);
        delete report.seconds;
        assert.deepEqual(report, {
            url,
            expectation: {
                source: "--expect jason-v2",
                mode: "jason-v2",
                shares: sharesOf("jason-v2"),
            },
            requests: 4,
            rounds: 1,
            counts: {
                anonymous: { v1: 4, v2: 0, v3: 0, error: 0 },
                jason: { v1: 0, v2: 0, v3: 4, error: 0 },
            },
            errors: { anonymous: {}, jason: {} },
            verdict: {
                holds: false,
                problems: [
                    "jason: v2 (black stars) expected on every page, seen on 0 of 4; instead: v3 (red stars) on 4",
                ],
            },
        });
    });

    it("draws a progress bar on a terminal's stderr, and none elsewhere", async () => {
        const { url } = await start(byUser("v1", "v1"));
        const args = ["--url", url, "--expect", "all-v1", "--requests", "3"];
        const tty = await verify(args, { tty: true });
        assert.match(tty.stderr, /\r\[#+\.*\] 1\/6 pages/);
        assert.match(tty.stderr, /\r\[#{30}\] 6\/6 pages\r +\r$/);
        assert.equal((await verify(args)).stderr, "");
    });

    it("takes the page and the expectation from the stack's outputs", async () => {
        const s = await start(byUser("v1", "ratings-unavailable"));
        const outputs = {
            productPageUrl: s.url,
            routingMode: "jason-v2",
            reviewsExpectation: expectedShares(
                {
                    ...defaultTrafficOptions("jason-v2"),
                    ratingsFault: { kind: "abort", httpStatus: 500 },
                },
                VERSIONS,
            ),
            kubeconfig: "[secret]",
        };
        const run = await verify(["--requests", "5"], {
            readStackOutputs: () => Promise.resolve(outputs),
        });
        assert.equal(run.code, 0, run.stdout);
        assert.match(run.stdout, /^Product page: http:\/\/127\.0\.0\.1:\d+\/productpage\n/);
        assert.match(
            run.stdout,
            /\nExpected: stack output reviewsExpectation \(routing jason-v2\)\n/,
        );
        assert.match(
            run.stdout,
            /\nerrors of jason: 5 × ratings unavailable \(Ratings service is currently unavailable\)\n/,
        );
        // --expect overrides the stack's expectation: jason should then see v2.
        const overridden = await verify(["--requests", "5", "--expect", "jason-v2"], {
            readStackOutputs: () => Promise.resolve(outputs),
        });
        assert.equal(overridden.code, 1);
    });

    it("needs no stack when given --url and --expect", async () => {
        const { url } = await start(byUser("v1", "v1"));
        const run = await verify(["--url", url, "--expect", "all-v1", "--requests", "1"], {
            readStackOutputs: () => assert.fail("read the stack"),
        });
        assert.equal(run.code, 0);
    });

    it("exits 2 when it cannot check: bad arguments, no stack, no outputs", async () => {
        const bad = await verify(["--expect", "v4"]);
        assert.deepEqual(bad, {
            code: 2,
            stdout: "",
            stderr:
                'verify: --expect "v4": expected a routing mode, one of round-robin, all-v1, jason-v2, v3-50, all-v3, jason-v2-else-v3, canary\n' +
                "Usage: npm run verify -- --help\n",
        });
        assert.deepEqual(await verify([]), {
            code: 2,
            stdout: "",
            stderr:
                "verify: could not read the stack's outputs: this test has no stack\n" +
                "To check a page without the stack, give --url and --expect.\n",
        });
        const empty = { readStackOutputs: () => Promise.resolve({}) };
        assert.deepEqual(await verify(["--expect", "all-v1"], empty), {
            code: 2,
            stdout: "",
            stderr: "verify: the stack has no output productPageUrl: deploy first (npm run deploy), or give --url and --expect\n",
        });
        const old = {
            readStackOutputs: () => Promise.resolve({ productPageUrl: "http://127.0.0.1:1/" }),
        };
        assert.equal(
            (await verify([], old)).stderr,
            "verify: the stack has no output reviewsExpectation: deploy the current program (npm run deploy), or give --expect <mode>\n",
        );
        const help = await verify(["--help"]);
        assert.equal(help.code, 0);
        assert.match(help.stdout, /^Usage: npm run verify -- \[options\]\n/);
    });
});

describe("npm run verify without a stack", () => {
    let pulumi: FakePulumi;
    beforeEach(() => (pulumi = new FakePulumi()));
    afterEach(() => pulumi.remove());

    it("exits 2 saying deploy first, or give --url and --expect, and creates no stack", async () => {
        const run = await verify([], {
            readStackOutputs: () => pulumiStackOutputs(pulumi.script, pulumi.env()),
        });
        assert.deepEqual(run, {
            code: 2,
            stdout: "",
            stderr:
                `verify: no stack "dev" in file://${pulumi.stateDir} yet: ` +
                "deploy first (npm run deploy), or give --url and --expect\n",
        });
        assert.deepEqual(pulumi.calls(), []);
        assert.equal(fs.existsSync(pulumi.stateDir), false);
    });

    it("reads the stack's outputs once the stack exists", async () => {
        fs.mkdirSync(pulumi.stateDir);
        const outputs = await pulumiStackOutputs(pulumi.script, pulumi.env({ FAKE_STACKS: "dev" }));
        assert.deepEqual(outputs, { routingMode: "all-v1" });
        assert.deepEqual(pulumi.calls(), ["stack select dev", "stack output --json"]);
    });
});

describe("pulumiStackOutputs", () => {
    let dir: string;
    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "verify-spec-"));
    });
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    function script(name: string, body: string): string {
        const file = path.join(dir, name);
        fs.writeFileSync(file, `#!/usr/bin/env bash\n${body}\n`, { mode: 0o755 });
        return file;
    }

    it("runs `stack output --json` through the wrapper and parses what it prints", async () => {
        const file = script(
            "ok.sh",
            `echo "Created stack 'dev'"\nprintf '{\\n  "args": "%s",\\n  "productPageUrl": "http://x/productpage"\\n}\\n' "$*"`,
        );
        assert.deepEqual(await pulumiStackOutputs(file), {
            args: "stack output --json",
            productPageUrl: "http://x/productpage",
        });
    });

    it("passes on the wrapper's own message when it fails", async () => {
        const file = script("fails.sh", 'echo "The Pulumi CLI is not installed" >&2\nexit 1');
        await assert.rejects(pulumiStackOutputs(file), {
            message: `${file} stack output --json exited with 1:\nThe Pulumi CLI is not installed`,
        });
    });
});
