/**
 * Rewrites the README's routing-mode and settings tables from the code (`npm run docs`), so that
 * adding a mode or a setting is one entry in lib/ and one command. tests/readme.spec.ts fails
 * when the README and the code disagree.
 */
import * as fs from "fs";
import * as path from "path";

import { CONFIG_KEYS, ConfigKeySpec } from "../lib/config";
import { ROUTING_MODES } from "../lib/routing";

const cell = (text: string) => text.replace(/\|/g, "\\|");

/** The Markdown rows of the two tables, header included. */
export function tables(): Record<"routing-modes" | "settings", string> {
    const modes = Object.entries(ROUTING_MODES).map(
        ([mode, def]) => `| \`${mode}\` | ${cell(def.summary)} |`,
    );
    const settings = Object.entries(CONFIG_KEYS).map(([key, spec]: [string, ConfigKeySpec]) => {
        const def = spec.default === undefined ? "" : `\`${spec.default}\``;
        return `| \`${key}\` | ${def} | ${cell(spec.description)} |`;
    });
    return {
        "routing-modes": [
            "| `routing` | what you see on the product page |",
            "| --- | --- |",
            ...modes,
        ].join("\n"),
        settings: ["| key | default | meaning |", "| --- | --- | --- |", ...settings].join("\n"),
    };
}

/** The README with each marked table replaced by the one the code gives. */
export function withTables(readme: string): string {
    let result = readme;
    for (const [marker, table] of Object.entries(tables())) {
        const open = result.indexOf(`<!-- ${marker}:`);
        const close = result.indexOf(`<!-- /${marker} -->`);
        if (open < 0 || close < open) {
            throw new Error(`README.md has no <!-- ${marker}: ... --> section`);
        }
        const start = result.indexOf("\n", open) + 1;
        result = `${result.slice(0, start)}\n${table}\n\n${result.slice(close)}`;
    }
    return result;
}

if (require.main === module) {
    const file = path.join(__dirname, "..", "README.md");
    fs.writeFileSync(file, withTables(fs.readFileSync(file, "utf8")));
    console.log("README.md tables rewritten; run prettier --write README.md to align them.");
}
