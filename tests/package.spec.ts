/**
 * The npm package's manifest: its entry point is the build of the public API, the program stays
 * the project's, and the version has its changelog entry.
 */
import * as assert from "assert/strict";
import * as fs from "fs";
import * as path from "path";

import * as YAML from "yaml";

import { MANIFESTS_DIR, packageRoot } from "../lib/manifests";

const ROOT = path.join(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const pkg = JSON.parse(read("package.json"));
const build = JSON.parse(read("tsconfig.build.json"));

describe("package.json", () => {
    it("points main, types and exports at the build of components/index.ts", () => {
        assert.deepEqual(build.files, ["components/index.ts"]);
        assert.equal(build.compilerOptions.rootDir, ".");
        assert.equal(build.compilerOptions.declaration, true);
        const out = `${build.compilerOptions.outDir}/components/index`;
        assert.equal(pkg.main, `${out}.js`);
        assert.equal(pkg.types, `${out}.d.ts`);
        assert.deepEqual(pkg.exports, {
            ".": { types: `./${out}.d.ts`, default: `./${out}.js` },
            "./package.json": "./package.json",
        });
        assert.equal(pkg.scripts.build, "tsc -p tsconfig.build.json");
        // A git URL install builds the package: npm runs prepare for it.
        assert.equal(pkg.scripts.prepare, "npm run build");
    });

    it("ships the build and the manifests (npm adds README and LICENSE itself)", () => {
        assert.deepEqual(pkg.files, [`${build.compilerOptions.outDir}/`, "manifests/"]);
        assert.ok(fs.existsSync(path.join(ROOT, "LICENSE")));
        assert.match(read("LICENSE"), /Apache License\s+Version 2\.0/);
        assert.equal(pkg.license, "Apache-2.0");
    });

    it("has a semantic version with its entry in CHANGELOG.md", () => {
        assert.match(pkg.version, /^\d+\.\d+\.\d+$/);
        assert.match(
            read("CHANGELOG.md"),
            new RegExp(`^## \\[${pkg.version}\\] - \\d{4}-\\d{2}-\\d{2}$`, "m"),
        );
    });

    it("leaves the program to Pulumi.yaml: main is index.ts, not the package's build", () => {
        assert.equal(YAML.parse(read("Pulumi.yaml")).main, "index.ts");
    });

    it("finds the manifests from the package's root, wherever it is installed", () => {
        assert.equal(packageRoot(), ROOT);
        assert.equal(packageRoot(path.join(ROOT, "dist", "lib")), ROOT);
        assert.equal(MANIFESTS_DIR, path.join(ROOT, "manifests"));
    });
});

describe("The public API (components/index.ts)", () => {
    it("exports the components and the pure helpers, nothing else", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const api = require("../components");
        assert.deepEqual(Object.keys(api).sort(), [
            "BookinfoApp",
            "ConfigError",
            "DEFAULT_ROUTING_MODE",
            "EksCluster",
            "GatewayApiCrds",
            "GatewayApiRouting",
            "GatewayServiceType",
            "ISTIO_SUPPORT",
            "IstioMesh",
            "LoadBalancerType",
            "MeshObservability",
            "MtlsMode",
            "ROUTING_MODES",
            "ROUTING_MODE_NAMES",
            "RatingsFaultKind",
            "ReviewsRouting",
            "RevisionTag",
            "RoutingMode",
            "defaultTrafficOptions",
            "expectedShares",
            "gatewayApiPlan",
            "isRoutingMode",
            "meshPlan",
            "parseConfig",
            "revisionOf",
            "routingPlan",
            "tracingMeshConfig",
            "unsupportedTrafficModel",
            "versionProblems",
        ]);
    });
});
