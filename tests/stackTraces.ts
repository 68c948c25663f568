/**
 * Loaded by mocha before the specs (.mocharc.json). `@pulumi/pulumi` captures a stack trace for
 * every promise it creates (`debuggablePromise`, read only with PULUMI_DEBUG_PROMISE_LEAKS) and
 * every resource (`Resource.callsites`, the source position sent to the engine, which the mocks
 * ignore): tens of thousands per test run. ts-node source-maps each of them, and TypeScript raises
 * `Error.stackTraceLimit` to 100 when it loads, which made up more than half of mocha's time.
 * Those captures are formatted as V8 does by default (positions in the transpiled code); every
 * other stack, a failing test's included, is still source-mapped to the .ts lines.
 */
import * as path from "path";

// Node's default, which TypeScript raises to 100 when ts-node loads it.
Error.stackTraceLimit = 10;

const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json")) + path.sep;
/** The SDK functions whose `new Error().stack` is a capture, not an error. */
const CAPTURES = new Set(["debuggablePromise", "callsites"]);

const sourceMapped = Error.prepareStackTrace;
if (sourceMapped !== undefined) {
    Error.prepareStackTrace = (error, frames) => {
        const top = frames[0];
        if (
            top !== undefined &&
            CAPTURES.has(top.getFunctionName() ?? "") &&
            (top.getFileName() ?? "").startsWith(SDK)
        ) {
            if (
                top.getFunctionName() === "debuggablePromise" &&
                !process.env.PULUMI_DEBUG_PROMISE_LEAKS
            ) {
                return `${error}`;
            }
            return `${error}${frames.map((frame) => `\n    at ${frame}`).join("")}`;
        }
        return sourceMapped(error, frames);
    };
}
