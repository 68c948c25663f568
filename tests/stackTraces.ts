/**
 * Loaded by mocha before the specs (.mocharc.json), to keep the SDK's stack captures cheap.
 * `@pulumi/pulumi` takes `new Error().stack` for every promise it creates (`debuggablePromise`,
 * read only with PULUMI_DEBUG_PROMISE_LEAKS set) and every resource (`Resource.callsites`, the
 * source position sent to the engine, which the mocks ignore): tens of thousands per program
 * run, each source-mapped by ts-node. That was over half of mocha's time. Every other stack, a
 * failing test's included, is still source-mapped to the .ts lines.
 */
import * as path from "path";

const SDK = path.dirname(require.resolve("@pulumi/pulumi/package.json")) + path.sep;

if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    // Nothing reads a promise's stack then: capture none (the leak check itself still runs).
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const debuggable = require("@pulumi/pulumi/runtime/debuggable");
    const debuggablePromise = debuggable.debuggablePromise;
    if (typeof debuggablePromise !== "function") {
        throw new Error(
            "tests/stackTraces.ts: @pulumi/pulumi/runtime/debuggable has no debuggablePromise any more; update this file to the SDK",
        );
    }
    debuggable.debuggablePromise = (...args: unknown[]) => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return debuggablePromise(...args);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
}

// A resource's call sites: formatted as V8 does by default, positions in the transpiled code.
const sourceMapped = Error.prepareStackTrace;
if (sourceMapped !== undefined) {
    Error.prepareStackTrace = (error, frames) => {
        const top = frames[0];
        if (top?.getFunctionName() === "callsites" && top.getFileName()?.startsWith(SDK)) {
            return `${error}${frames.map((frame) => `\n    at ${frame}`).join("")}`;
        }
        return sourceMapped(error, frames);
    };
}
