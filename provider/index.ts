/**
 * The plugin's entry point: serves the components as a Pulumi component provider, so that every
 * Pulumi language can use them. `pulumi package add` runs it (PulumiPlugin.yaml at the
 * repository's root names this folder); Pulumi asks it for the package schema, which
 * ComponentProvider infers from the components' TypeScript types, and to construct components.
 */
import { main } from "@pulumi/pulumi/provider";

import { componentProvider } from "./componentProvider";

main(componentProvider(), process.argv.slice(2)).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
