/**
 * The type-check and eslint on one TypeScript program (npm test runs this beside mocha).
 * `tsc --noEmit` and eslint's typed rules would each parse, bind and check the same ~3,800 files
 * (most of them @pulumi/aws declarations, which @pulumi/eks imports whole); here eslint gets the
 * program the type-check built, with its types already computed. Same tsconfig.json, same
 * diagnostics as `tsc --noEmit`; same eslint.config.mjs, but for where the program comes from.
 * Exits 1 when either finds an error.
 */
import { ESLint } from "eslint";
import * as ts from "typescript";

const formatHost: ts.FormatDiagnosticsHost = {
    getCanonicalFileName: (file) => file,
    getCurrentDirectory: ts.sys.getCurrentDirectory,
    getNewLine: () => ts.sys.newLine,
};

/** The tsconfig.json program, and what `tsc --noEmit` would report for it. */
function typeCheck(): [ts.Program, readonly ts.Diagnostic[]] {
    const config = ts.getParsedCommandLineOfConfigFile(
        "tsconfig.json",
        { noEmit: true },
        {
            ...ts.sys,
            onUnRecoverableConfigFileDiagnostic: (d) => {
                throw new Error(ts.formatDiagnostic(d, formatHost));
            },
        },
    )!;
    const host = ts.createCompilerHost(config.options);
    // What tsc itself does: skip the JSDoc that cannot change a diagnostic (most of the parse of
    // the SDKs' commented declarations). No rule in eslint.config.mjs reads JSDoc.
    host.jsDocParsingMode = ts.JSDocParsingMode.ParseForTypeErrors;
    const program = ts.createProgram({
        host,
        rootNames: config.fileNames,
        options: config.options,
        projectReferences: config.projectReferences,
        configFileParsingDiagnostics: ts.getConfigFileParsingDiagnostics(config),
    });
    return [program, ts.getPreEmitDiagnostics(program)];
}

async function main(): Promise<number> {
    const [program, diagnostics] = typeCheck();
    if (diagnostics.length > 0) {
        const format = ts.sys.writeOutputIsTTY?.()
            ? ts.formatDiagnosticsWithColorAndContext
            : ts.formatDiagnostics;
        console.log(format(diagnostics, formatHost));
        console.log(`tsc: ${diagnostics.length} error(s)`);
    }

    const eslint = new ESLint({
        overrideConfig: {
            languageOptions: { parserOptions: { projectService: false, programs: [program] } },
        },
    });
    const results = await eslint.lintFiles(["."]);
    const report = await (await eslint.loadFormatter("stylish")).format(results);
    if (report !== "") {
        console.log(report);
    }
    const lintErrors = results.reduce((n, r) => n + r.errorCount, 0);
    return diagnostics.length > 0 || lintErrors > 0 ? 1 : 0;
}

main().then(
    (code) => (process.exitCode = code),
    (err) => {
        console.error(err);
        process.exitCode = 2;
    },
);
