import * as assert from "assert/strict";
import * as fs from "fs";
import * as path from "path";

import { CONFIG_KEYS, ConfigKeySpec } from "../lib/config";
import { ROUTING_MODES } from "../lib/routing";

const README = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");

/** The rows of the table between `<!-- marker ... -->` and `<!-- /marker -->`, as cells. */
function table(marker: string): string[][] {
    const start = README.indexOf(`<!-- ${marker}:`);
    const end = README.indexOf(`<!-- /${marker} -->`);
    assert.ok(start >= 0 && end > start, `README has a ${marker} section`);
    return README.slice(start, end)
        .split("\n")
        .filter((line) => line.startsWith("|"))
        .slice(2) // header and separator
        .map((line) =>
            line
                .slice(1, -1)
                .split(/(?<!\\)\|/)
                .map((cell) => cell.trim().replace(/\\\|/g, "|")),
        );
}

const unquote = (cell: string) => cell.replace(/^`(.*)`$/, "$1");

describe("README", () => {
    it("lists every routing mode with its summary, as ROUTING_MODES defines them", () => {
        assert.deepEqual(
            table("routing-modes").map(([mode, summary]) => [unquote(mode), summary]),
            Object.entries(ROUTING_MODES).map(([mode, def]) => [mode, def.summary]),
        );
    });

    it("lists every setting with its default and meaning, as lib/config.ts declares them", () => {
        assert.deepEqual(
            table("settings").map(([key, def, meaning]) => [unquote(key), unquote(def), meaning]),
            Object.entries(CONFIG_KEYS).map(([key, spec]: [string, ConfigKeySpec]) => [
                key,
                spec.default === undefined ? "" : String(spec.default),
                spec.description,
            ]),
        );
    });

    it("shows the one test command and the one deploy command", () => {
        assert.match(README, /```sh\nnpm test\n```/);
        assert.match(README, /```sh\nnpm run deploy\n```/);
    });
});
