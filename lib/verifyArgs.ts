/** The command line of `npm run verify`: its options, their defaults, parsing and `--help`. */
import { parseArgs } from "util";

import {
    defaultTrafficOptions,
    isRoutingMode,
    ROUTING_MODE_NAMES,
    ROUTING_MODES,
    RoutingMode,
    TEST_USER,
} from "./routing";

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
