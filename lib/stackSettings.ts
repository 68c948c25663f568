/**
 * The raw stack settings, as Pulumi hands them to the program: its own namespace's strings
 * ({@link RawConfig}) and the providers' settings it reads ({@link PROVIDER_KEYS}). Reading them
 * off the current stack needs the Pulumi runtime; parsing them (lib/config.ts) is pure.
 */
import * as pulumi from "@pulumi/pulumi";

/** Raw settings as Pulumi passes them: key (without the project prefix) to string. */
export type RawConfig = Readonly<Partial<Record<string, string>>>;

/** The settings of the providers' namespaces the program reads besides its own. */
export const PROVIDER_KEYS = [
    "aws:profile",
    "kubernetes:context",
    "kubernetes:kubeconfig",
] as const;
export type ProviderSettings = Readonly<Partial<Record<(typeof PROVIDER_KEYS)[number], string>>>;

/**
 * The current stack's settings of this project's namespace, without the prefix
 * (`istio-eks:routing` becomes `routing`).
 */
export function rawStackConfig(): RawConfig {
    const prefix = `${pulumi.getProject()}:`;
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) {
            raw[key.slice(prefix.length)] = value;
        }
    }
    return raw;
}

/** The current stack's values of {@link PROVIDER_KEYS}. */
export function providerSettings(): ProviderSettings {
    const all = pulumi.runtime.allConfig();
    return Object.fromEntries(
        PROVIDER_KEYS.filter((key) => all[key] !== undefined).map((key) => [key, all[key]]),
    );
}
