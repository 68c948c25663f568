/**
 * Reading one setting at a time: the raw value or its declared default, checked against what the
 * key allows, every problem collected (not only the first) for the {@link ConfigError} that
 * `parseConfig` throws.
 */
import { CONFIG_KEYS, ConfigKey, ConfigKeySpec } from "./configKeys";
import type { RawConfig } from "./stackSettings";

/** Bad stack settings: one line per problem, each naming the key, the value and what is allowed. */
export class ConfigError extends Error {
    /** One line per problem, each naming the key, the value and what is allowed. */
    public readonly problems: string[];

    constructor(problems: string[]) {
        super(`Invalid stack configuration:\n  - ${problems.join("\n  - ")}`);
        this.problems = problems;
        this.name = "ConfigError";
    }
}

/** Reads the settings one at a time, collecting every problem found in `problems`. */
export class Reader {
    readonly problems: string[] = [];

    constructor(private readonly raw: RawConfig) {}

    /** The raw value, or the declared default; blank counts as unset. */
    value(key: ConfigKey): string | undefined {
        const v = this.raw[key];
        if (v !== undefined && v.trim() !== "") {
            return v.trim();
        }
        const d = (CONFIG_KEYS[key] as ConfigKeySpec).default;
        return d === undefined ? undefined : String(d);
    }

    bad(key: ConfigKey, value: string, allowed: string): void {
        // Echo only the start of an SSH key: a private key pasted by mistake must not land in logs.
        const shown =
            key === "sshPublicKey" && value.length > 24 ? `${value.slice(0, 24)}...` : value;
        this.problems.push(`${key} = ${JSON.stringify(shown)}: ${allowed}`);
    }

    /** A value that must match `pattern`; `allowed` says what matches. */
    matching(key: ConfigKey, pattern: RegExp, allowed: string): string {
        const v = this.value(key) ?? "";
        if (!pattern.test(v)) {
            this.bad(key, v, allowed);
        }
        return v;
    }

    oneOf<T extends string>(key: ConfigKey, options: readonly T[]): T {
        const v = this.value(key) ?? "";
        if (!(options as readonly string[]).includes(v)) {
            this.bad(key, v, `expected one of ${options.join(" | ")}`);
        }
        return v as T;
    }

    /** `true` or `false`, as `pulumi config set` stores a boolean. */
    boolean(key: ConfigKey): boolean {
        const v = this.value(key) ?? "";
        if (v !== "true" && v !== "false") {
            this.bad(key, v, "expected true or false");
        }
        return v === "true";
    }

    /** A whole number within `range`, or NaN (after recording the problem). */
    integer(key: ConfigKey, range: { min: number; max: number }): number {
        const v = this.value(key) ?? "";
        const n = /^\d+$/.test(v) ? Number(v) : NaN;
        if (!(n >= range.min && n <= range.max)) {
            this.bad(key, v, `expected a whole number from ${range.min} to ${range.max}`);
            return NaN;
        }
        return n;
    }

    /** A list given as a JSON array (`pulumi config set --path 'k[0]' v`) or comma-separated. */
    list(key: ConfigKey, item: RegExp, allowed: string): string[] {
        const v = this.value(key);
        if (v === undefined) {
            return [];
        }
        let items: unknown;
        if (v.startsWith("[")) {
            try {
                items = JSON.parse(v);
            } catch {
                this.bad(key, v, `expected a JSON array or a comma-separated list of ${allowed}`);
                return [];
            }
        } else {
            items = v
                .split(",")
                .map((s) => s.trim())
                .filter((s) => s !== "");
        }
        if (!Array.isArray(items)) {
            // Valid JSON, but not an array (e.g. a quoted string or an object).
            this.bad(key, v, `expected a list of ${allowed}`);
            return [];
        }
        for (const i of items) {
            if (typeof i !== "string" || !item.test(i)) {
                this.bad(key, typeof i === "string" ? i : JSON.stringify(i), `expected ${allowed}`);
            }
        }
        return items as string[];
    }
}
