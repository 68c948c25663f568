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

    const ROOT = path.join(__dirname, "..");
    const DOCS = fs
        .readdirSync(path.join(ROOT, "docs"))
        .filter((f) => f.endsWith(".md"))
        .map((f) => [`docs/${f}`, fs.readFileSync(path.join(ROOT, "docs", f), "utf8")]);
    const PACKAGE = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
        scripts: Record<string, string>;
    };

    it("shows only npm commands that package.json has", () => {
        for (const [file, text] of [["README.md", README], ...DOCS]) {
            for (const [, script] of text.matchAll(/npm run (?:--silent )?([a-z][\w:-]*)/g)) {
                assert.ok(script in PACKAGE.scripts, `${file}: npm run ${script} is not a script`);
            }
        }
    });

    it("runs installed tools, never an npx download, in every npm script and shell script", () => {
        const scripts = fs.readdirSync(path.join(ROOT, "scripts")).filter((f) => f.endsWith(".sh"));
        const sources = [
            ...Object.entries(PACKAGE.scripts).map(([name, command]) => [
                `npm run ${name}`,
                command,
            ]),
            ...scripts.map((f) => [
                `scripts/${f}`,
                fs.readFileSync(path.join(ROOT, "scripts", f), "utf8").replace(/^\s*#.*$/gm, ""), // comments may mention npx
            ]),
        ];
        for (const [where, text] of sources) {
            assert.doesNotMatch(text, /\bnpx\b/, `${where} calls npx`);
        }
    });

    it("gives every Pulumi command as npm run pulumi -- (bare pulumi only where it says how)", () => {
        const direct = README.indexOf("To run `pulumi` directly");
        const afterDirect = README.indexOf("```", README.indexOf("```", direct) + 3);
        assert.ok(direct > 0 && afterDirect > direct, "the README says how to run pulumi directly");
        // Use it from your own program: commands there run in the reader's own project.
        const own = README.indexOf("## Use it from your own program");
        const ownEnd = README.indexOf("\n## ", own + 1);
        assert.ok(own > afterDirect && ownEnd > own, "the README says how to use the package");
        const rest =
            README.slice(0, direct) + README.slice(afterDirect, own) + README.slice(ownEnd);
        const blocks = [...rest.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
        for (const line of blocks.join("").split("\n")) {
            assert.doesNotMatch(line, /(^|[;&|]\s*)pulumi\s/, `bare pulumi in: ${line}`);
        }
        assert.doesNotMatch(rest, /`pulumi (up|destroy|preview|refresh|config|stack)\b/);
    });

    it("keeps what the documented commands write out of git", () => {
        const ignored = fs.readFileSync(path.join(ROOT, ".gitignore"), "utf8").split("\n");
        for (const entry of ["node_modules/", ".pulumi/", "kubeconfig.json", "bin/", "dist/"]) {
            assert.ok(ignored.includes(entry), `.gitignore lists ${entry}`);
        }
    });
});
