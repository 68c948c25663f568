/**
 * The npm package as a user gets it: built, packed with `npm pack`, installed into a new Pulumi
 * project, where the README's TypeScript example type-checks and runs under Pulumi's mocks.
 * Offline: the package is unpacked where npm would put it, and its dependencies are this
 * repository's installed ones, linked.
 */
import * as assert from "assert/strict";
import { execFileSync } from "child_process";
import * as fs from "fs";
import { isBuiltin } from "module";
import * as os from "os";
import * as path from "path";

import * as ts from "typescript";

import { runPulumi } from "./harness";

const ROOT = path.join(__dirname, "..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));

/** The README's TypeScript example: the code block between its typescript-example markers. */
function readmeExample(): string {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.slice(
        readme.indexOf("<!-- typescript-example:"),
        readme.indexOf("<!-- /typescript-example -->"),
    );
    const code = /```ts\n([\s\S]*?)```/.exec(section);
    assert.ok(code, "the README has a TypeScript example between its markers");
    return code[1];
}

/**
 * A compiler host that parses each file once: the build and the consumer's type-check read the
 * same ~3,800 declaration files (@pulumi/eks imports @pulumi/aws whole).
 */
function sharedHost(options: ts.CompilerOptions): ts.CompilerHost {
    const host = ts.createCompilerHost(options);
    const parsed = new Map<string, ts.SourceFile | undefined>();
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, ...rest) => {
        const key = `${fileName}:${JSON.stringify(languageVersion)}`;
        if (!parsed.has(key)) {
            parsed.set(key, getSourceFile(fileName, languageVersion, ...rest));
        }
        return parsed.get(key);
    };
    return host;
}

/** Compiles a program and fails with its diagnostics, if any. */
function compile(
    rootNames: string[],
    options: ts.CompilerOptions,
    host: ts.CompilerHost,
): ts.Program {
    const program = ts.createProgram({ rootNames, options, host });
    const result = program.emit();
    const diagnostics = [...ts.getPreEmitDiagnostics(program), ...result.diagnostics];
    assert.deepEqual(
        diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")),
        [],
        `${rootNames.join(", ")} compiles`,
    );
    return program;
}

/**
 * What a user of the declarations `file` sees without documentation in the editor: its exports,
 * and the public properties of the exported classes and interfaces.
 */
function undocumented(program: ts.Program, file: string): string[] {
    const checker = program.getTypeChecker();
    const doc = (symbol: ts.Symbol) =>
        ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    const module = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
    const missing: string[] = [];
    for (const exported of checker.getExportsOfModule(module)) {
        const symbol =
            exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
        if (doc(symbol) === "") {
            missing.push(exported.name);
        }
        if (symbol.flags & (ts.SymbolFlags.Class | ts.SymbolFlags.Interface)) {
            symbol.members?.forEach((member, name) => {
                const isPrivate = member.declarations?.some(
                    (d) => ts.getCombinedModifierFlags(d) & ts.ModifierFlags.Private,
                );
                const visible =
                    member.flags & (ts.SymbolFlags.Property | ts.SymbolFlags.GetAccessor);
                if (visible && !isPrivate && doc(member) === "") {
                    missing.push(`${exported.name}.${name}`);
                }
            });
        }
    }
    return missing;
}

describe("The npm package, packed and installed into a new project", () => {
    let tmp: string;
    after(() => tmp && fs.rmSync(tmp, { recursive: true, force: true }));

    it("ships the build, the manifests, README and LICENSE; the README's example type-checks and runs", async function () {
        this.timeout(120_000);
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "istio-eks-pack-"));

        // npm run build, in-process: the build config's program, emitted into a clean dist/.
        const build = ts.getParsedCommandLineOfConfigFile(
            path.join(ROOT, "tsconfig.build.json"),
            {},
            { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(String(d)) },
        )!;
        const host = sharedHost(build.options);
        fs.rmSync(path.join(ROOT, build.options.outDir!), { recursive: true, force: true });
        compile(build.fileNames, build.options, host);

        // npm pack (its prepare script would build again: the build above is the same).
        const [packed] = JSON.parse(
            execFileSync("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], {
                cwd: ROOT,
                encoding: "utf8",
            }),
        ) as { filename: string; files: { path: string }[] }[];
        assert.equal(packed.filename, `${PKG.name}-${PKG.version}.tgz`);
        const files = packed.files.map((f) => f.path).sort();
        const built = fs
            .readdirSync(path.join(ROOT, "dist"), { recursive: true, encoding: "utf8" })
            .filter((f) => /\.(js|d\.ts)$/.test(f))
            .map((f) => `dist/${f.split(path.sep).join("/")}`);
        const manifests = fs.readdirSync(path.join(ROOT, "manifests")).map((f) => `manifests/${f}`);
        assert.deepEqual(
            files,
            ["LICENSE", "README.md", "package.json", ...built, ...manifests].sort(),
            "the tarball holds the build, the manifests, README, LICENSE and package.json only",
        );
        for (const entry of [PKG.main, PKG.types]) {
            assert.ok(files.includes(entry), `${entry} is in the tarball`);
        }

        // npm install <tarball>, offline: unpacked as node_modules/istio-eks; the dependencies
        // are this repository's, linked.
        const project = path.join(tmp, "project");
        const modules = path.join(project, "node_modules");
        fs.mkdirSync(path.join(modules, PKG.name), { recursive: true });
        execFileSync("tar", [
            "-xzf",
            path.join(tmp, packed.filename),
            "-C",
            path.join(modules, PKG.name),
            "--strip-components=1",
        ]);
        for (const entry of fs.readdirSync(path.join(ROOT, "node_modules"))) {
            if (!entry.startsWith(".")) {
                fs.symlinkSync(path.join(ROOT, "node_modules", entry), path.join(modules, entry));
            }
        }
        // Every module the build loads is a dependency npm installs with the package.
        for (const file of built.filter((f) => f.endsWith(".js"))) {
            const source = fs.readFileSync(path.join(modules, PKG.name, file), "utf8");
            for (const [, spec] of source.matchAll(/require\("([^".][^"]*)"\)/g)) {
                const dependency = spec.startsWith("@")
                    ? spec.split("/", 2).join("/")
                    : spec.split("/")[0];
                const builtin = !dependency.includes("@") && isBuiltin(dependency);
                assert.ok(builtin || dependency in PKG.dependencies, `${file} needs ${dependency}`);
            }
        }

        // The README's example, type-checked against the installed package and compiled.
        fs.writeFileSync(path.join(project, "index.ts"), readmeExample());
        const consumer = compile(
            [path.join(project, "index.ts")],
            {
                strict: true,
                target: ts.ScriptTarget.ES2022,
                module: ts.ModuleKind.CommonJS,
                moduleResolution: ts.ModuleResolutionKind.Node10,
                skipLibCheck: true,
                types: [],
                outDir: path.join(project, "bin"),
            },
            host,
        );

        // Every export, and every property of an exported class or interface, is documented.
        assert.deepEqual(undocumented(consumer, path.join(modules, PKG.name, PKG.types)), []);

        // And run, under the mocks: the installed package finds its own manifests.
        const run = await runPulumi(
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            () => require(path.join(project, "bin", "index.js")) as Record<string, unknown>,
        );
        const components = run.resources.filter((r) => r.type.startsWith("istio-eks:index:"));
        assert.deepEqual(
            components.map((r) => `${r.type.replace("istio-eks:index:", "")} ${r.name}`),
            [
                "EksCluster lab",
                "IstioMesh istio",
                "BookinfoApp bookinfo",
                "ReviewsRouting routing",
                "MeshObservability observability",
            ],
        );
        const installed = fs.realpathSync(path.join(modules, PKG.name));
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { MANIFESTS_DIR } = require(path.join(installed, "dist", "lib", "manifests.js"));
        assert.equal(MANIFESTS_DIR, path.join(installed, "manifests"));
        assert.ok(
            run.has("bookinfo-deployment-reviews-v2"),
            "the app's objects, from the manifest",
        );
        for (const r of run.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            assert.equal(run.providerName(r), "lab-k8s", `${r.name} uses the cluster's provider`);
        }
        assert.ok("productPageUrl" in run.result);
    });
});
