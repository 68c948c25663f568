import * as assert from "assert/strict";

import {
    defaultTrafficOptions,
    expectedShares,
    istioDurationMs,
    ratingsFaultOf,
    RatingsFaultSpec,
    ROUTING_MODE_NAMES,
    RoutingMode,
    routingPlan,
    TrafficOptions,
    trafficOptionsOf,
} from "../lib/routing";
import { REVISION_TAGS, RevisionTag } from "../lib/upgrade";

const VERSIONS = ["v1", "v2", "v3"];
const third = 1 / 3;

function shares(mode: RoutingMode, options: Partial<TrafficOptions> = {}) {
    return expectedShares({ ...defaultTrafficOptions(mode), ...options }, VERSIONS);
}

describe("expectedShares", () => {
    const cases: [RoutingMode, Partial<TrafficOptions>, object, object][] = [
        [
            "round-robin",
            {},
            { v1: third, v2: third, v3: third, error: 0 },
            { v1: third, v2: third, v3: third, error: 0 },
        ],
        ["all-v1", {}, { v1: 1, v2: 0, v3: 0, error: 0 }, { v1: 1, v2: 0, v3: 0, error: 0 }],
        ["jason-v2", {}, { v1: 1, v2: 0, v3: 0, error: 0 }, { v1: 0, v2: 1, v3: 0, error: 0 }],
        ["v3-50", {}, { v1: 0.5, v2: 0, v3: 0.5, error: 0 }, { v1: 0.5, v2: 0, v3: 0.5, error: 0 }],
        ["all-v3", {}, { v1: 0, v2: 0, v3: 1, error: 0 }, { v1: 0, v2: 0, v3: 1, error: 0 }],
        [
            "jason-v2-else-v3",
            {},
            { v1: 0, v2: 0, v3: 1, error: 0 },
            { v1: 0, v2: 1, v3: 0, error: 0 },
        ],
        [
            "canary",
            { canaryWeight: 25 },
            { v1: 0.75, v2: 0, v3: 0.25, error: 0 },
            { v1: 0.75, v2: 0, v3: 0.25, error: 0 },
        ],
        // A ratings fault breaks jason's pages wherever his reviews version calls ratings.
        [
            "jason-v2",
            { ratingsFault: { kind: "abort", httpStatus: 500 } },
            { v1: 1, v2: 0, v3: 0, error: 0 },
            { v1: 0, v2: 0, v3: 0, error: 1 },
        ],
        [
            "all-v1",
            { ratingsFault: { kind: "abort", httpStatus: 500 } },
            { v1: 1, v2: 0, v3: 0, error: 0 },
            { v1: 1, v2: 0, v3: 0, error: 0 },
        ],
        [
            "v3-50",
            { ratingsFault: { kind: "delay", fixedDelay: "7s" } },
            { v1: 0.5, v2: 0, v3: 0.5, error: 0 },
            { v1: 0.5, v2: 0, v3: 0, error: 0.5 },
        ],
        // A short delay only slows the page down; a shorter reviews timeout makes it fail.
        [
            "jason-v2",
            { ratingsFault: { kind: "delay", fixedDelay: "2s" } },
            { v1: 1, v2: 0, v3: 0, error: 0 },
            { v1: 0, v2: 1, v3: 0, error: 0 },
        ],
        [
            "jason-v2",
            { ratingsFault: { kind: "delay", fixedDelay: "2s" }, reviewsTimeout: "0.5s" },
            { v1: 1, v2: 0, v3: 0, error: 0 },
            { v1: 0, v2: 0, v3: 0, error: 1 },
        ],
    ];
    for (const [mode, options, anonymous, jason] of cases) {
        it(`${mode} ${JSON.stringify(options)}`, () => {
            assert.deepEqual(shares(mode, options), { anonymous, jason });
        });
    }
});

describe("istioDurationMs", () => {
    it("reads hours, minutes, seconds and milliseconds, with fractions", () => {
        assert.deepEqual(
            ["1h", "2m", "0.5s", "7s", "100ms", "1.5ms"].map(istioDurationMs),
            [3_600_000, 120_000, 500, 7000, 100, 1.5],
        );
    });
    it("refuses anything else", () => {
        for (const text of ["", "7", "7 s", ".5s", "1d", "-1s", "1h30m", "1S"]) {
            assert.equal(istioDurationMs(text), undefined, text);
        }
    });
});

describe("routingPlan, for the components used as a library", () => {
    const services = { reviews: ["v1", "v2", "v3"] };
    const plan = (options: Partial<TrafficOptions>) => () =>
        routingPlan(services, { ...defaultTrafficOptions("jason-v2"), ...options });

    it("refuses a timeout or a delay that is not an Istio duration", () => {
        assert.throws(
            plan({ reviewsTimeout: "500" }),
            /^Error: Invalid traffic options: reviewsTimeout "500": expected an Istio duration of at least 1ms, e\.g\. "0\.5s"$/,
        );
        assert.throws(
            plan({ ratingsFault: { kind: "delay", fixedDelay: "0s" } }),
            /ratingsFault delay "0s": expected an Istio duration of at least 1ms/,
        );
    });

    it("refuses an abort status that is not an HTTP error", () => {
        assert.throws(
            plan({ ratingsFault: { kind: "abort", httpStatus: 200 } }),
            /ratingsFault abort status 200: expected an HTTP error status from 400 to 599/,
        );
    });

    it("refuses an unknown mode", () => {
        assert.throws(
            plan({ mode: "all-v4" as RoutingMode }),
            /mode "all-v4": expected one of round-robin \| all-v1 \| jason-v2 \| v3-50/,
        );
    });

    it("accepts the options the stack settings allow", () => {
        assert.doesNotThrow(
            plan({ reviewsTimeout: "1ms", ratingsFault: { kind: "abort", httpStatus: 599 } }),
        );
    });
});

describe("The schema-friendly argument types", () => {
    it("RoutingMode names every routing mode once, in declaration order", () => {
        assert.deepEqual(Object.values(RoutingMode), ROUTING_MODE_NAMES);
    });

    it("RevisionTag names every revision tag once, in order", () => {
        assert.deepEqual(Object.values(RevisionTag), REVISION_TAGS);
    });

    it("ratingsFaultOf turns each kind's spec into its fault", () => {
        assert.deepEqual(ratingsFaultOf({ kind: "none" }), { kind: "none" });
        assert.deepEqual(ratingsFaultOf({ kind: "delay", fixedDelay: "7s" }), {
            kind: "delay",
            fixedDelay: "7s",
        });
        assert.deepEqual(ratingsFaultOf({ kind: "abort", httpStatus: 503 }), {
            kind: "abort",
            httpStatus: 503,
        });
    });

    it("ratingsFaultOf refuses an unknown kind, a missing field and another kind's field", () => {
        const refuses = (spec: object, message: string) =>
            assert.throws(() => ratingsFaultOf(spec as RatingsFaultSpec), { message });
        refuses({ kind: "slow" }, 'ratingsFault kind "slow": expected one of none, delay, abort');
        refuses(
            { kind: "delay" },
            "ratingsFault delay needs fixedDelay, an Istio duration (e.g. 7s)",
        );
        refuses(
            { kind: "abort" },
            "ratingsFault abort needs httpStatus, an HTTP status (400 to 599)",
        );
        refuses(
            { kind: "none", fixedDelay: "7s" },
            "ratingsFault fixedDelay is for kind delay, not none",
        );
        refuses(
            { kind: "delay", fixedDelay: "7s", httpStatus: 500 },
            "ratingsFault httpStatus is for kind abort, not delay",
        );
    });
});

describe("trafficOptionsOf, the routing components' arguments as options", () => {
    it("fills in the mode's defaults for what the arguments leave out", () => {
        assert.deepEqual(trafficOptionsOf({ mode: "canary" }), {
            mode: "canary",
            canaryWeight: 10,
            ratingsFault: { kind: "none" },
            mtls: "permissive",
        });
    });

    it("takes every argument given, the fault through ratingsFaultOf", () => {
        assert.deepEqual(
            trafficOptionsOf({
                mode: "jason-v2",
                canaryWeight: 25,
                ratingsFault: { kind: "abort", httpStatus: 503 },
                reviewsTimeout: "0.5s",
                mtls: "strict",
            }),
            {
                mode: "jason-v2",
                canaryWeight: 25,
                ratingsFault: { kind: "abort", httpStatus: 503 },
                reviewsTimeout: "0.5s",
                mtls: "strict",
            },
        );
        assert.throws(
            () => trafficOptionsOf({ mode: "all-v1", ratingsFault: { kind: "delay" } }),
            /ratingsFault delay needs fixedDelay/,
        );
    });
});
