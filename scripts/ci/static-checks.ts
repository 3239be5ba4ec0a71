// `npm test`'s type-check and lint (scripts/ci/test.ts runs this beside the tests; `npm run
// typecheck` and `npm run lint` run each alone). The lint rules that need types (eslint.config.mjs)
// read the very TypeScript program the type-check built, instead of typescript-eslint building
// its own: the program is most of the cost of either. Exits 1 on a type error or a lint problem.
import { ESLint } from "eslint";
import { existsSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import ts from "typescript";

const projectRoot = resolve(__dirname, "../..");

/**
 * Parsed source files shared by the programs (the project's and each example's): most of either
 * is @pulumi/aws's declarations, parsed once instead of once per program.
 */
const sourceFiles = new Map<string, ts.SourceFile>();

/** The program a tsconfig.json describes, as `tsc -p` builds it. */
function programOf(configFile: string): ts.Program {
    const parsed = ts.getParsedCommandLineOfConfigFile(configFile, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => { throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n")); } });
    if (parsed === undefined) throw new Error(`cannot read ${configFile}`);
    const host = ts.createCompilerHost(parsed.options);
    const parse = host.getSourceFile.bind(host);
    host.getSourceFile = (fileName, languageVersion, ...rest) => {
        const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
        const file = sourceFiles.get(key) ?? parse(fileName, languageVersion, ...rest);
        if (file !== undefined) sourceFiles.set(key, file);
        return file;
    };
    return ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options, host, projectReferences: parsed.projectReferences, configFileParsingDiagnostics: parsed.errors });
}

/** The examples' own projects (examples/<scenario>/tsconfig.json): linted with their own options. */
function examplePrograms(): ts.Program[] {
    const examples = join(projectRoot, "examples");
    if (!existsSync(examples)) return [];
    return readdirSync(examples)
        .map((scenario) => join(examples, scenario, "tsconfig.json"))
        .filter((file) => existsSync(file))
        .map(programOf);
}

function typeCheck(program: ts.Program): { passed: boolean; report: string } {
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const host: ts.FormatDiagnosticsHost = { getCanonicalFileName: (f) => f, getCurrentDirectory: () => projectRoot, getNewLine: () => "\n" };
    return { passed: diagnostics.length === 0, report: ts.formatDiagnosticsWithColorAndContext(diagnostics, host) };
}

async function lint(programs: ts.Program[]): Promise<{ passed: boolean; report: string }> {
    const eslint = new ESLint({
        cwd: projectRoot,
        overrideConfig: { files: ["**/*.ts"], languageOptions: { parserOptions: { projectService: false, programs } } },
    });
    const results = await eslint.lintFiles(["."]);
    const problems = results.reduce((sum, r) => sum + r.errorCount + r.warningCount, 0);
    const report = await (await eslint.loadFormatter("stylish")).format(results);
    return { passed: problems === 0, report };
}

async function main(): Promise<number> {
    const program = programOf(join(projectRoot, "tsconfig.json"));
    const types = typeCheck(program);
    console.log(types.passed ? "✔ type-check (tsc)" : `✖ type-check (tsc)\n${types.report}`);
    const lintResult = await lint([program, ...examplePrograms()]);
    console.log(lintResult.passed ? "✔ lint (eslint)" : `✖ lint (eslint)\n${lintResult.report}`);
    return types.passed && lintResult.passed ? 0 : 1;
}

if (require.main === module) {
    main().then(
        (code) => process.exit(code),
        (error: unknown) => {
            console.error(`static checks failed: ${error instanceof Error ? error.stack : String(error)}`);
            process.exit(2);
        },
    );
}
