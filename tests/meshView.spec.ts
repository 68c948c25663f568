import * as assert from "assert/strict";
import * as http from "http";
import { AddressInfo } from "net";

import {
    countsBetween,
    countsByVersion,
    judgeMesh,
    meshExpectation,
    meshQuery,
    noMetricsCause,
    PrometheusError,
} from "../lib/meshView";
import { defaultTrafficOptions, expectedShares } from "../lib/routing";
import { expectationForMode, parseVerifyArgs, UsageError } from "../lib/verify";
import { main } from "../scripts/verify";
import { byUser, ProductpageStub, ReviewsShown } from "./productpageStub";
import { PrometheusStub, vectorAnswer } from "./prometheusStub";

const VERSIONS = ["v1", "v2", "v3"];

describe("the mesh's view (lib/meshView.ts)", () => {
    it("asks for the reviews requests by version, as the serving proxies of the data plane count them", () => {
        assert.equal(
            meshQuery("sidecar"),
            'sum by (destination_version) (istio_requests_total{reporter="destination",destination_service_name="reviews"})',
        );
        // Ambient pods have no proxy: the waypoint counts the requests it routes.
        assert.equal(
            meshQuery("ambient"),
            'sum by (destination_version) (istio_requests_total{reporter="waypoint",destination_service_name="reviews"})',
        );
        // Not knowing the data plane, both: the namespace is in one, so one of them counts.
        assert.equal(
            meshQuery(),
            'sum by (destination_version) (istio_requests_total{reporter=~"destination|waypoint",destination_service_name="reviews"})',
        );
    });

    it("reads Prometheus's instant vector, and refuses what is not one", () => {
        assert.deepEqual(countsByVersion(JSON.parse(vectorAnswer({ v1: 12, v3: 4 }).body)), {
            v1: 12,
            v3: 4,
        });
        assert.deepEqual(countsByVersion(JSON.parse(vectorAnswer({}).body)), {});
        assert.throws(
            () => countsByVersion({ status: "error", errorType: "bad_data", error: "parse error" }),
            new PrometheusError("the query failed: parse error"),
        );
        assert.throws(
            () =>
                countsByVersion({ status: "success", data: { resultType: "matrix", result: [] } }),
            new PrometheusError("the answer is not a Prometheus instant vector"),
        );
    });

    it("counts the requests between two readings, from 0 for new series and after a reset", () => {
        assert.deepEqual(countsBetween({ v1: 100, v2: 7 }, { v1: 150, v2: 3, v3: 20 }), {
            v1: 50,
            v2: 3,
            v3: 20,
        });
    });

    it("combines the readers' expectations in the proportions of the pages each loaded", () => {
        const jasonV2 = expectationForMode("jason-v2", undefined, VERSIONS);
        assert.deepEqual(meshExpectation(jasonV2, { anonymous: 100, jason: 100 }), {
            v1: 0.5,
            v2: 0.5,
            v3: 0,
            error: 0,
        });
        assert.deepEqual(meshExpectation(jasonV2, { anonymous: 30, jason: 10 }), {
            v1: 0.75,
            v2: 0.25,
            v3: 0,
            error: 0,
        });
    });

    it("judges the mesh's counts by the page rules, per request", () => {
        const expected = { v1: 0.5, v2: 0.5, v3: 0, error: 0 };
        assert.deepEqual(judgeMesh({ v1: 48, v2: 52 }, expected, true), {
            holds: true,
            problems: [],
        });
        assert.deepEqual(judgeMesh({ v1: 100 }, expected, true), {
            holds: false,
            problems: [
                "mesh: v1 (no stars) on 100 of 100 requests (100%); expected 50% ± 20%",
                "mesh: v2 (black stars) never seen in 100 requests; expected 50%",
            ],
        });
        assert.deepEqual(judgeMesh({ v1: 50, v2: 40, v3: 10 }, expected, true).problems, [
            "mesh: v3 (red stars) on 10 of 100 requests; expected none",
        ]);
    });

    it("names the data plane's likely cause when the mesh recorded nothing at all", () => {
        const expected = { v1: 1, v2: 0, v3: 0, error: 0 };
        const sidecar = judgeMesh({}, expected, false, "sidecar");
        assert.equal(sidecar.holds, false);
        assert.deepEqual(sidecar.problems, [
            "Prometheus has no istio_requests_total for reviews at all: its pods run without sidecars " +
                "(kubectl get pods -n bookinfo shows 1/1; then kubectl rollout restart deployment -n bookinfo), " +
                "or Prometheus does not scrape them",
        ]);
        assert.deepEqual(judgeMesh({}, expected, false, "ambient").problems, [
            "Prometheus has no istio_requests_total for reviews at all: in ambient mode no waypoint routes " +
                "its requests (kubectl get gateway waypoint -n bookinfo; the namespace needs the labels " +
                "istio.io/dataplane-mode=ambient and istio.io/use-waypoint=waypoint: " +
                "kubectl get namespace bookinfo --show-labels), or Prometheus does not scrape them",
        ]);
        // Not knowing the data plane, both causes.
        assert.deepEqual(judgeMesh({}, expected, false).problems, [
            "Prometheus has no istio_requests_total for reviews at all: with sidecars, its pods run " +
                "without sidecars (kubectl get pods -n bookinfo shows 1/1; then kubectl rollout restart " +
                "deployment -n bookinfo); in ambient mode, no waypoint routes its requests (kubectl get " +
                "gateway waypoint -n bookinfo; the namespace needs the labels istio.io/dataplane-mode=ambient " +
                "and istio.io/use-waypoint=waypoint: kubectl get namespace bookinfo --show-labels), or " +
                "Prometheus does not scrape them",
        ]);
        assert.equal(noMetricsCause("ambient").includes("sidecar"), false);
        assert.match(
            judgeMesh({ v1: 0 }, expected, true, "ambient").problems[0],
            /^Prometheus recorded no requests to reviews during the run/,
        );
    });

    it("under a ratings fault, judges only that the mesh recorded requests", () => {
        const faulted = expectedShares(
            {
                ...defaultTrafficOptions("jason-v2"),
                ratingsFault: { kind: "abort", httpStatus: 500 },
            },
            VERSIONS,
        );
        const expected = meshExpectation(faulted, { anonymous: 10, jason: 10 });
        assert.deepEqual(judgeMesh({ v1: 10, v2: 10 }, expected, true), {
            holds: true,
            problems: [],
            notJudged:
                "shares not judged: under a ratings fault, 50% of the pages show an error instead of the version that served them",
        });
    });

    it("takes --prometheus as an http(s) address", () => {
        assert.equal(
            parseVerifyArgs(["--prometheus", "http://localhost:9090"]).prometheus,
            "http://localhost:9090",
        );
        assert.throws(
            () => parseVerifyArgs(["--prometheus", "localhost:9090"]),
            new UsageError(
                '--prometheus "localhost:9090": expected an http:// or https:// address',
            ),
        );
    });
});

describe("npm run verify --prometheus against a stand-in Prometheus on 127.0.0.1", () => {
    let page: ProductpageStub | undefined;
    let prometheus: PrometheusStub | undefined;
    afterEach(async () => {
        await page?.close();
        await prometheus?.close();
        page = prometheus = undefined;
    });

    async function verify(argv: string[], outputs?: Record<string, unknown>) {
        const out: string[] = [];
        const err: string[] = [];
        const code = await main(argv, {
            stdout: { write: (t: string) => out.push(t) },
            stderr: { write: (t: string) => err.push(t) },
            readStackOutputs: () =>
                outputs === undefined
                    ? Promise.reject(new Error("this test has no stack"))
                    : Promise.resolve(outputs),
            meshSettleMs: 0,
        });
        return { code, stdout: out.join(""), stderr: err.join("") };
    }

    /** A product page serving `anonymous`/`jason`, and a Prometheus that counts what it serves. */
    async function start(anonymous: ReviewsShown, jason: ReviewsShown) {
        prometheus = await PrometheusStub.start();
        prometheus.counters.v1 = 1000; // traffic before the run, left out of the count
        page = await ProductpageStub.start(prometheus.counting(byUser(anonymous, jason)));
        return { page, prometheus };
    }

    const args = (p: { page: ProductpageStub; prometheus: PrometheusStub }, mode: string) => [
        "--url",
        p.page.url,
        "--expect",
        mode,
        "--requests",
        "6",
        "--prometheus",
        p.prometheus.url,
    ];

    it("prints the mesh's counts beside the pages' and passes when they agree", async () => {
        const stubs = await start("v1", "v2");
        const run = await verify(args(stubs, "jason-v2"));
        assert.equal(run.code, 0, run.stdout + run.stderr);
        assert.ok(
            run.stdout.endsWith(
                [
                    "OK: the routing holds.",
                    "",
                    `Mesh: ${stubs.prometheus.url}, reviews requests by destination_version (reporter destination or waypoint)`,
                    "",
                    "requests   v1   v2  v3",
                    "mesh        6    6   0",
                    "expected  50%  50%  0%",
                    "",
                    "OK: the mesh agrees.",
                    "",
                ].join("\n"),
            ),
            run.stdout,
        );
        // Without a stack to say which data plane, the query covers both reporters.
        assert.deepEqual(stubs.prometheus.queries, [
            'sum by (destination_version) (istio_requests_total{reporter=~"destination|waypoint",destination_service_name="reviews"})',
            'sum by (destination_version) (istio_requests_total{reporter=~"destination|waypoint",destination_service_name="reviews"})',
        ]);
        assert.match(run.stderr, /Waiting 0 s for Prometheus to scrape the proxies\.\.\.\n/);
    });

    /** The stack's outputs for `mode` in `dataplane`, the page at `page`. */
    const stackOutputs = (p: ProductpageStub, mode: string, dataplane: string) => ({
        productPageUrl: p.url,
        routingMode: mode,
        reviewsExpectation: expectedShares(defaultTrafficOptions(mode as "jason-v2"), VERSIONS),
        dataplane,
    });

    for (const [dataplane, reporter] of [
        ["sidecar", "destination"],
        ["ambient", "waypoint"],
    ]) {
        it(`on a ${dataplane} stack, reads the requests its ${reporter === "waypoint" ? "waypoint" : "sidecars"} counted (reporter ${reporter})`, async () => {
            const stubs = await start("v1", "v2");
            stubs.prometheus.reporter = reporter;
            const run = await verify(
                ["--requests", "6", "--prometheus", stubs.prometheus.url],
                stackOutputs(stubs.page, "jason-v2", dataplane),
            );
            assert.equal(run.code, 0, run.stdout + run.stderr);
            assert.ok(
                run.stdout.endsWith(
                    [
                        `Mesh: ${stubs.prometheus.url}, reviews requests by destination_version (reporter ${reporter})`,
                        "",
                        "requests   v1   v2  v3",
                        "mesh        6    6   0",
                        "expected  50%  50%  0%",
                        "",
                        "OK: the mesh agrees.",
                        "",
                    ].join("\n"),
                ),
                run.stdout,
            );
            const query = `sum by (destination_version) (istio_requests_total{reporter="${reporter}",destination_service_name="reviews"})`;
            assert.deepEqual(stubs.prometheus.queries, [query, query]);
        });
    }

    it("with an ambient stack, names the waypoint when Prometheus has no reviews metrics at all", async () => {
        const stubs = await start("v1", "v1");
        // The reviews pods' sidecars would count, but ambient pods have none: nothing reports.
        stubs.prometheus.reporter = "destination";
        delete stubs.prometheus.counters.v1;
        const run = await verify(
            ["--requests", "6", "--prometheus", stubs.prometheus.url],
            stackOutputs(stubs.page, "all-v1", "ambient"),
        );
        assert.equal(run.code, 1);
        assert.match(
            run.stdout,
            /\nWRONG: the mesh does not agree:\n {2}- Prometheus has no istio_requests_total for reviews at all: in ambient mode no waypoint routes its requests \(kubectl get gateway waypoint -n bookinfo;/,
        );
    });

    it("with a sidecar stack, names pods without sidecars when Prometheus has no reviews metrics at all", async () => {
        const stubs = await start("v1", "v1");
        stubs.prometheus.answer = () => vectorAnswer({});
        const run = await verify(
            ["--requests", "6", "--prometheus", stubs.prometheus.url],
            stackOutputs(stubs.page, "all-v1", "sidecar"),
        );
        assert.equal(run.code, 1);
        assert.match(
            run.stdout,
            /\nWRONG: the mesh does not agree:\n {2}- Prometheus has no istio_requests_total for reviews at all: its pods run without sidecars \(kubectl get pods -n bookinfo shows 1\/1;/,
        );
    });

    it("fails when the mesh disagrees with the pages", async () => {
        const stubs = await start("v1", "v2");
        // The pages show v2 to jason, but the mesh saw only v1 served.
        stubs.prometheus.answer = (n) => vectorAnswer({ v1: n === 0 ? 1000 : 1012 });
        const run = await verify(args(stubs, "jason-v2"));
        assert.equal(run.code, 1);
        assert.match(run.stdout, /\nOK: the routing holds\.\n/);
        assert.ok(
            run.stdout.endsWith(
                "WRONG: the mesh does not agree:\n" +
                    "  - mesh: v2 (black stars) never seen in 12 requests; expected 50%\n",
            ),
            run.stdout,
        );
    });

    it("names both data planes' causes when, without a stack, Prometheus has no reviews metrics at all", async () => {
        const stubs = await start("v1", "v1");
        stubs.prometheus.answer = () => vectorAnswer({});
        const run = await verify(args(stubs, "all-v1"));
        assert.equal(run.code, 1);
        assert.match(
            run.stdout,
            /\nWRONG: the mesh does not agree:\n {2}- Prometheus has no istio_requests_total for reviews at all: with sidecars, its pods run without sidecars .*; in ambient mode, no waypoint routes its requests/,
        );
    });

    it("puts the mesh's view in the JSON report", async () => {
        const stubs = await start("v1", "v1");
        const run = await verify([...args(stubs, "all-v1"), "--json"]);
        assert.equal(run.code, 0, run.stdout);
        assert.deepEqual(JSON.parse(run.stdout).mesh, {
            prometheus: stubs.prometheus.url,
            counts: { v1: 12 },
            expected: { v1: 1, v2: 0, v3: 0, error: 0 },
            verdict: { holds: true, problems: [] },
        });
    });

    it("exits 2 before loading a page when Prometheus cannot be reached", async () => {
        const closed = http.createServer();
        await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
        const { port } = closed.address() as AddressInfo;
        await new Promise((resolve) => closed.close(resolve));
        page = await ProductpageStub.start(byUser("v1", "v1"));
        const url = `http://127.0.0.1:${port}`;
        const run = await verify(["--url", page.url, "--expect", "all-v1", "--prometheus", url]);
        assert.deepEqual(run, {
            code: 2,
            stdout: "",
            stderr: `verify: could not ask Prometheus at ${url}: could not reach it (ECONNREFUSED)\n`,
        });
        assert.equal(page.pages, 0);
    });

    it("exits 2 with Prometheus's own message when the query fails", async () => {
        const stubs = await start("v1", "v1");
        stubs.prometheus.answer = () => ({
            status: 400,
            body: JSON.stringify({ status: "error", errorType: "bad_data", error: "parse error" }),
        });
        const run = await verify(args(stubs, "all-v1"));
        assert.equal(run.code, 2);
        assert.equal(
            run.stderr,
            `verify: could not ask Prometheus at ${stubs.prometheus.url}: the query failed: parse error\n`,
        );
    });

    it("exits 2 when the address answers, but not as Prometheus", async () => {
        const stubs = await start("v1", "v1");
        const run = await verify([...args(stubs, "all-v1").slice(0, -1), page!.url]);
        assert.equal(run.code, 2);
        assert.match(
            run.stderr,
            /: HTTP 404 without a JSON answer: is this Prometheus's address\?\n$/,
        );
    });
});
