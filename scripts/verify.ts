/**
 * `npm run verify`: checks the live product page as a user would. It reads the page's address
 * and what each reader should see from the stack's outputs (or takes `--url` and `--expect`),
 * loads the page N times anonymously and N times signed in as jason, reads the reviews version
 * off each page, prints the counts and judges them. With `--prometheus <url>` it also judges the
 * reviews requests the mesh itself recorded over the run. Exit status: 0 the routing holds, 1 it
 * does not, 2 the check could not be made (bad arguments, no stack or outputs, the page could not
 * be reached or no product page came back: never a verdict on the routing from a network
 * failure; Prometheus unreachable or not answering as Prometheus).
 *
 *   npm run verify
 *   npm run verify -- --wait 60                       (right after `npm run deploy`)
 *   npm run verify -- --url http://HOST/productpage --expect canary --canary-weight 25
 */
import { spawn } from "child_process";
import * as path from "path";

import { BookinfoModel } from "../lib/manifests";
import {
    countsBetween,
    dataplaneOutput,
    judgeMesh,
    meshExpectation,
    MeshVerdict,
    PrometheusError,
    renderMeshView,
    reportersOf,
} from "../lib/meshView";
import { SCRAPE_INTERVAL_SECONDS } from "../lib/observability";
import { Dataplane } from "../lib/trafficModel";
import {
    ExpectedShares,
    Reader,
    READERS,
    REVIEWS_SERVICE,
    TEST_USER,
    VERSION_LABEL,
} from "../lib/routing";
import {
    CannotJudge,
    cannotJudge,
    classifyPage,
    DEFAULT_CANARY_WEIGHT,
    errorOutcome,
    expectationForMode,
    fetchFailure,
    formatSeconds,
    isSignedIn,
    judge,
    newTally,
    outcomesOf,
    PAGE_ERRORS,
    PageOutcome,
    parseExpectation,
    parseVerifyArgs,
    record,
    renderTally,
    Tally,
    TOLERANCE_SIGMAS,
    UsageError,
    Verdict,
    VerifyArgs,
    verifyUsage,
} from "../lib/verify";
import { MeshReading, readMesh } from "./prometheus";

/** Where the command writes, and how it reads the stack; tests inject their own. */
export interface VerifyIo {
    /** The table and verdict, or the JSON. */
    readonly stdout: { write(text: string): unknown };
    /** Errors, round-by-round notes and, on a terminal, the progress bar. */
    readonly stderr: { write(text: string): unknown; readonly isTTY?: boolean };
    /** The current stack's outputs; by default from the Pulumi CLI through scripts/pulumi.sh. */
    readonly readStackOutputs?: () => Promise<Record<string, unknown>>;
    /** Pause between rounds with --wait, in milliseconds (default 2000). */
    readonly retryPauseMs?: number;
    /**
     * With --prometheus: how long to let Prometheus scrape the proxies after the last page, in
     * milliseconds (default: one scrape interval and 5 s more).
     */
    readonly meshSettleMs?: number;
    /**
     * The clock --wait and the reported seconds run on, in milliseconds (default `Date.now`);
     * with {@link sleep}, tests run on a clock of their own, whatever the machine's load.
     */
    readonly now?: () => number;
    /** Waits `ms` milliseconds: the pause between rounds and the mesh's settling (default a timer). */
    readonly sleep?: (ms: number) => Promise<void>;
}

/** What the mesh recorded over the last round, and the verdict on it. */
interface MeshView {
    readonly counts: Record<string, number>;
    readonly expected: Record<string, number>;
    readonly verdict: MeshVerdict;
}

/** The project's Pulumi wrapper: it sets up the same state backend and stack as `npm run deploy`. */
export const PULUMI_SCRIPT = path.join(__dirname, "pulumi.sh");

/**
 * The current stack's outputs, from `pulumi stack output --json` run through the project's
 * wrapper (so the backend defaults to `.pulumi/` here, PULUMI_BACKEND_URL and PULUMI_STACK
 * apply). Secret outputs come back as "[secret]", which verify does not need.
 *
 * @throws Error with the wrapper's own message when it fails or prints no JSON.
 */
export function pulumiStackOutputs(
    script = PULUMI_SCRIPT,
    env: NodeJS.ProcessEnv = process.env,
): Promise<Record<string, unknown>> {
    const root = path.join(__dirname, "..");
    const shown = script.startsWith(root + path.sep) ? path.relative(root, script) : script;
    const command = `${shown} stack output --json`;
    return new Promise((resolve, reject) => {
        // stdin stays the user's: the wrapper demands PULUMI_CONFIG_PASSPHRASE of a local
        // backend only when stdin is not a terminal, and newer Pulumi CLIs need none here.
        const child = spawn(script, ["stack", "output", "--json"], {
            stdio: ["inherit", "pipe", "pipe"],
            env,
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString()));
        child.on("error", (e) => reject(new Error(`${command}: ${e.message}`)));
        child.on("close", (code) => {
            if (code !== 0) {
                const said = err.trim() || out.trim();
                reject(new Error(`${command} exited with ${code}${said ? `:\n${said}` : ""}`));
                return;
            }
            // Skip anything printed before the JSON object (a notice of the CLI).
            const start = out.search(/^\{/m);
            try {
                resolve(JSON.parse(out.slice(Math.max(start, 0))) as Record<string, unknown>);
            } catch {
                reject(new Error(`${command} printed no JSON object: ${out.trim().slice(0, 200)}`));
            }
        });
    });
}

/** The reviews versions Bookinfo runs, from its manifest. */
function reviewsVersions(): string[] {
    return BookinfoModel.load().serviceVersions(VERSION_LABEL)[REVIEWS_SERVICE] ?? [];
}

/** Where the expectation came from, for the report. */
interface Target {
    readonly url: string;
    readonly expectation: ExpectedShares;
    /** e.g. "stack output reviewsExpectation (routing jason-v2)". */
    readonly source: string;
    readonly mode?: string;
    /** The stack's data plane (output `dataplane`), when the stack was read and says. */
    readonly dataplane?: Dataplane;
}

/** How scripts/pulumi.sh says that the stack does not exist (it never creates one to read it). */
const NO_STACK = /^There is (no stack "[^"]*" in \S+ yet: deploy first \(npm run deploy\))\.$/m;

/** Thrown when the check cannot start: printed, exit status 2. */
class CannotCheck extends Error {}

async function resolveTarget(args: VerifyArgs, io: VerifyIo): Promise<Target> {
    let outputs: Record<string, unknown> | undefined;
    if (args.url === undefined || args.expect === undefined) {
        try {
            outputs = await (io.readStackOutputs ?? pulumiStackOutputs)();
        } catch (e) {
            const message = (e as Error).message;
            const noStack = NO_STACK.exec(message);
            throw new CannotCheck(
                noStack !== null
                    ? `${noStack[1]}, or give --url and --expect`
                    : `could not read the stack's outputs: ${message}\n` +
                          "To check a page without the stack, give --url and --expect.",
            );
        }
    }
    let url = args.url;
    if (url === undefined) {
        const value = outputs?.productPageUrl;
        if (typeof value !== "string" || value === "") {
            throw new CannotCheck(
                "the stack has no output productPageUrl: deploy first (npm run deploy), or give --url and --expect",
            );
        }
        url = value;
    }
    if (args.expect !== undefined) {
        const weight =
            args.expect === "canary"
                ? ` --canary-weight ${args.canaryWeight ?? DEFAULT_CANARY_WEIGHT}`
                : "";
        return {
            url,
            expectation: expectationForMode(args.expect, args.canaryWeight, reviewsVersions()),
            source: `--expect ${args.expect}${weight}`,
            mode: args.expect,
            dataplane: dataplaneOutput(outputs?.dataplane),
        };
    }
    if (outputs?.reviewsExpectation === undefined) {
        throw new CannotCheck(
            "the stack has no output reviewsExpectation: deploy the current program (npm run deploy), " +
                "or give --expect <mode>",
        );
    }
    let expectation: ExpectedShares;
    try {
        expectation = parseExpectation(outputs.reviewsExpectation);
    } catch (e) {
        throw new CannotCheck(`stack output ${(e as Error).message}`);
    }
    const mode = typeof outputs.routingMode === "string" ? outputs.routingMode : undefined;
    return {
        url,
        expectation,
        source: `stack output reviewsExpectation${mode ? ` (routing ${mode})` : ""}`,
        mode,
        dataplane: dataplaneOutput(outputs?.dataplane),
    };
}

/** The cookies a response sets, as a Cookie header ("name=value; name2=value2"). */
function cookiesOf(res: Response): string {
    return res.headers
        .getSetCookie()
        .map((c) => c.split(";")[0].trim())
        .filter((c) => c.includes("="))
        .join("; ");
}

/**
 * Signs in as the test user the way the page's form does: POST /login with username and passwd,
 * the product page as Referer (the app redirects back to it). The redirect is not followed: the
 * session cookie is on the 302 itself.
 *
 * @returns The Cookie header for the session, or how sign-in failed (as the outcome of each of
 *   the test user's pages).
 */
async function signIn(
    url: string,
    timeoutSeconds: number,
): Promise<{ cookie: string } | { failed: PageOutcome }> {
    const failed = (page: PageOutcome) => ({
        failed: { ...page, reason: `sign-in as ${TEST_USER} failed: ${page.reason}` },
    });
    try {
        const res = await fetch(new URL("login", url), {
            method: "POST",
            headers: { "content-type": "application/x-www-form-urlencoded", referer: url },
            body: new URLSearchParams({ username: TEST_USER, passwd: TEST_USER }).toString(),
            redirect: "manual",
            signal: AbortSignal.timeout(timeoutSeconds * 1000),
        });
        await res.arrayBuffer();
        if (res.status >= 400) {
            return failed(errorOutcome(`HTTP ${res.status}`));
        }
        const cookie = cookiesOf(res);
        return cookie === ""
            ? failed(errorOutcome(`HTTP ${res.status} without a session cookie`))
            : { cookie };
    } catch (e) {
        return failed(fetchFailure(e, timeoutSeconds));
    }
}

/** Loads the product page once and reads its outcome. */
async function loadPage(
    url: string,
    reader: Reader,
    cookie: string | undefined,
    timeoutSeconds: number,
): Promise<PageOutcome> {
    try {
        const res = await fetch(url, {
            headers: cookie === undefined ? {} : { cookie },
            signal: AbortSignal.timeout(timeoutSeconds * 1000),
        });
        const html = await res.text();
        if (res.status !== 200) {
            return errorOutcome(`HTTP ${res.status}`);
        }
        // Without the session jason's pages would silently be anonymous ones.
        if (reader !== "anonymous" && !isSignedIn(html)) {
            return errorOutcome(PAGE_ERRORS.notSignedIn);
        }
        return classifyPage(html);
    } catch (e) {
        return fetchFailure(e, timeoutSeconds);
    }
}

/** Runs `count` tasks, at most `concurrency` at once. */
async function pool(
    count: number,
    concurrency: number,
    task: (i: number) => Promise<void>,
): Promise<void> {
    let next = 0;
    const worker = async () => {
        while (next < count) {
            await task(next++);
        }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** A one-line progress bar on stderr, drawn only on a terminal. */
function progressBar(io: VerifyIo, total: number) {
    const tty = io.stderr.isTTY === true;
    const width = 30;
    return {
        tick(done: number) {
            if (tty) {
                const filled = Math.round((done / total) * width);
                io.stderr.write(
                    `\r[${"#".repeat(filled)}${".".repeat(width - filled)}] ${done}/${total} pages`,
                );
            }
        },
        clear() {
            if (tty) {
                io.stderr.write(`\r${" ".repeat(width + 30)}\r`);
            }
        },
    };
}

/** One round: N pages per reader, interleaved so that a change mid-round meets both alike. */
async function runRound(args: VerifyArgs, target: Target, io: VerifyIo): Promise<Tally> {
    const tally = newTally(outcomesOf(target.expectation));
    const session = await signIn(target.url, args.timeoutSeconds);
    const total = args.requests * READERS.length;
    const bar = progressBar(io, total);
    let done = 0;
    await pool(total, args.concurrency, async (i) => {
        const reader = READERS[i % READERS.length];
        let page: PageOutcome;
        if (reader === "anonymous") {
            page = await loadPage(target.url, reader, undefined, args.timeoutSeconds);
        } else if ("failed" in session) {
            page = session.failed;
        } else {
            page = await loadPage(target.url, reader, session.cookie, args.timeoutSeconds);
        }
        record(tally, reader, page);
        bar.tick(++done);
    });
    bar.clear();
    return tally;
}

/**
 * Runs the command with `argv` (without node and the script) and returns its exit status.
 */
export async function main(argv: readonly string[], io: VerifyIo): Promise<number> {
    let args: VerifyArgs;
    let target: Target;
    try {
        args = parseVerifyArgs(argv);
        if (args.help) {
            io.stdout.write(verifyUsage());
            return 0;
        }
        target = await resolveTarget(args, io);
    } catch (e) {
        if (e instanceof UsageError || e instanceof CannotCheck) {
            io.stderr.write(`verify: ${e.message}\n`);
            if (e instanceof UsageError) {
                io.stderr.write("Usage: npm run verify -- --help\n");
            }
            return 2;
        }
        throw e;
    }

    const prometheusFailed = (e: unknown): number => {
        if (!(e instanceof PrometheusError)) {
            throw e;
        }
        io.stderr.write(`verify: could not ask Prometheus at ${args.prometheus}: ${e.message}\n`);
        return 2;
    };
    const now = io.now ?? Date.now;
    const sleep =
        io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const started = now();
    const elapsed = () => (now() - started) / 1000;
    const pauseMs = io.retryPauseMs ?? 2000;
    let rounds = 0;
    let tally: Tally;
    let verdict: Verdict;
    let blocked: CannotJudge | undefined;
    let meshBefore: MeshReading | undefined;
    for (;;) {
        rounds++;
        if (args.prometheus !== undefined) {
            // The counters before the round; asked first, so an unreachable Prometheus stops
            // the check before any page is loaded.
            try {
                meshBefore = await readMesh(args.prometheus, args.timeoutSeconds, target.dataplane);
            } catch (e) {
                return prometheusFailed(e);
            }
        }
        tally = await runRound(args, target, io);
        // Pages the network kept away say nothing about the routing: no verdict on them.
        blocked = cannotJudge(tally, target.url);
        verdict = judge(
            Object.fromEntries(READERS.map((r) => [r, tally[r].counts])) as Record<
                Reader,
                Record<string, number>
            >,
            target.expectation,
        );
        const left = args.waitSeconds * 1000 - (now() - started);
        if ((blocked === undefined && verdict.holds) || blocked?.retry === false || left <= 0) {
            break;
        }
        io.stderr.write(
            `round ${rounds}: not yet (${blocked?.problem ?? verdict.problems[0]}); trying again, ` +
                `${formatSeconds(left / 1000)} left\n`,
        );
        await sleep(Math.min(pauseMs, left));
    }
    const roundsText = `${rounds} round${rounds === 1 ? "" : "s"}`;

    if (blocked !== undefined) {
        const still =
            args.waitSeconds > 0 && blocked.retry
                ? ` (still after ${formatSeconds(elapsed())}, ${roundsText})`
                : "";
        io.stderr.write(`verify: ${blocked.problem}${still}\n${blocked.hint}\n`);
        return 2;
    }

    let mesh: MeshView | undefined;
    if (args.prometheus !== undefined && meshBefore !== undefined) {
        const settleMs = io.meshSettleMs ?? (SCRAPE_INTERVAL_SECONDS + 5) * 1000;
        io.stderr.write(
            `Waiting ${formatSeconds(settleMs / 1000)} for Prometheus to scrape the proxies...\n`,
        );
        await sleep(settleMs);
        let after: MeshReading;
        try {
            after = await readMesh(args.prometheus, args.timeoutSeconds, target.dataplane);
        } catch (e) {
            return prometheusFailed(e);
        }
        const counts = countsBetween(meshBefore.counts, after.counts);
        const pages = Object.fromEntries(
            READERS.map((r) => [r, Object.values(tally[r].counts).reduce((a, b) => a + b, 0)]),
        ) as Record<Reader, number>;
        const expected = meshExpectation(target.expectation, pages);
        mesh = {
            counts,
            expected,
            verdict: judgeMesh(counts, expected, after.seriesExist, target.dataplane),
        };
    }

    const waited =
        args.waitSeconds > 0
            ? verdict.holds
                ? `held after ${roundsText}, ${formatSeconds(elapsed())}`
                : `still wrong after ${formatSeconds(elapsed())}, ${roundsText}`
            : undefined;

    if (args.json) {
        const report = {
            url: target.url,
            expectation: { source: target.source, mode: target.mode, shares: target.expectation },
            requests: args.requests,
            rounds,
            seconds: Number(elapsed().toFixed(3)),
            counts: Object.fromEntries(READERS.map((r) => [r, tally[r].counts])),
            errors: Object.fromEntries(READERS.map((r) => [r, tally[r].errors])),
            verdict: { holds: verdict.holds, problems: verdict.problems, waited },
            ...(mesh === undefined ? {} : { mesh: { prometheus: args.prometheus, ...mesh } }),
        };
        io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    } else {
        const lines = [
            `Product page: ${target.url}`,
            `Expected: ${target.source}`,
            `Pages: ${args.requests} per reader${rounds > 1 ? ` (last of ${rounds} rounds)` : ""}, ` +
                `${args.concurrency} at a time; tolerance ±${TOLERANCE_SIGMAS} standard deviations`,
            "",
            renderTally(tally, target.expectation),
            "",
            verdict.holds
                ? `OK: the routing holds${waited ? ` (${waited})` : ""}.`
                : `WRONG: the routing does not match${waited ? ` (${waited})` : ""}:`,
            ...verdict.problems.map((p) => `  - ${p}`),
        ];
        if (mesh !== undefined) {
            lines.push(
                "",
                `Mesh: ${args.prometheus}, reviews requests by destination_version ` +
                    `(reporter ${reportersOf(target.dataplane).join(" or ")})`,
                "",
                renderMeshView(mesh.counts, mesh.expected),
                "",
                mesh.verdict.holds
                    ? `OK: the mesh agrees${mesh.verdict.notJudged ? ` (${mesh.verdict.notJudged})` : ""}.`
                    : "WRONG: the mesh does not agree:",
                ...mesh.verdict.problems.map((p) => `  - ${p}`),
            );
        }
        io.stdout.write(`${lines.join("\n")}\n`);
    }
    return verdict.holds && (mesh?.verdict.holds ?? true) ? 0 : 1;
}

if (require.main === module) {
    main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
        (code) => {
            process.exitCode = code;
        },
        (e: unknown) => {
            process.stderr.write(`verify: ${(e as Error)?.stack ?? String(e)}\n`);
            process.exitCode = 2;
        },
    );
}
