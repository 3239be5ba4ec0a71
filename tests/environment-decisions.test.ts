import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, test } from "node:test";
import { environments } from "../stacks/environments";
import { projectRoot } from "./plans";

/**
 * Every environment decision lives in stacks/environments.ts (issue 17): stacks read its
 * switches instead of comparing the environment's name, and components never name one.
 */

const names = environments.join("|");
const quoted = `["'\`](?:${names})["'\`]`;

/** Comparisons of the environment's name: `environment === "…"`, `"…" !== x`, `case "…":`, `["…"].includes(…)`. */
const nameComparisons: readonly RegExp[] = [
    /(?<!typeof\s+)\benvironment\s*[!=]==?\s*["'`]/,
    /["'`]\s*[!=]==?\s*[\w.]*\benvironment\b/,
    new RegExp(`[!=]==?\\s*${quoted}`),
    new RegExp(`${quoted}\\s*[!=]==?`),
    new RegExp(`\\bcase\\s+${quoted}\\s*:`),
    new RegExp(`\\[[^\\]]*${quoted}[^\\]]*\\]\\s*\\.includes\\(`),
];

/** A component naming an environment: one of the names as a string literal, or an identifier such as `productionRules`. */
const environmentNames: readonly RegExp[] = [
    new RegExp(quoted),
    /\b\w*(?:production|staging)[A-Z0-9_]\w*|\b\w*(?:Production|Staging)\w*/,
];

/** The source with its comments blanked out (line numbers kept); string contents stay. */
function withoutComments(source: string): string {
    return source
        .replace(/\/\*[\s\S]*?\*\//g, (comment) => comment.replace(/[^\n]/g, " "))
        .replace(/(^|[^:\\"'`])\/\/.*$/gm, "$1");
}

/** `file:line: text` of every line of `source` one of `patterns` matches. */
function findings(file: string, source: string, patterns: readonly RegExp[]): string[] {
    return withoutComments(source).split("\n").flatMap((line, i) =>
        patterns.some((pattern) => pattern.test(line)) ? [`${file}:${i + 1}: ${line.trim()}`] : []);
}

function sourcesUnder(directory: string, recursive: boolean): string[] {
    return readdirSync(join(projectRoot, directory), { recursive, encoding: "utf8" })
        .filter((path) => path.endsWith(".ts") && !path.endsWith(".test.ts") && !path.endsWith(".d.ts"))
        .map((path) => relative(projectRoot, join(projectRoot, directory, path)))
        .sort();
}

const scan = (files: readonly string[], patterns: readonly RegExp[]) =>
    files.flatMap((file) => findings(file, readFileSync(join(projectRoot, file), "utf8"), patterns));

describe("one home for every environment decision", () => {
    test("no stack compares the environment's name (stacks read stacks/environments.ts's switches)", () => {
        const stacks = sourcesUnder("stacks", false);
        assert.ok(stacks.includes("stacks/monitoring.ts"), "the stacks were not found");
        assert.deepEqual(scan(stacks, nameComparisons), []);
    });

    test("no component names an environment in its code", () => {
        const components = sourcesUnder("components", true);
        assert.ok(components.includes("components/backup/schedule.ts"), "the components were not found");
        assert.deepEqual(scan(components, environmentNames), []);
    });

    test("the checks find what they look for, by file and line, and nothing in comments or look-alikes", () => {
        const stack = [
            "const ha = config.environment === \"production\";",
            "if (\"local\" !== env) {}",
            "switch (environment) { case 'staging': break; }",
            "const aws = [\"dev\", \"staging\"].includes(config.environment);",
            "const replica = environment === `local`;",
            "// environment === \"production\" in a comment",
            "/* case \"dev\": */ const fine = environment === undefined;",
            "if (typeof environment !== \"string\" || !(environments as readonly string[]).includes(environment)) {}",
            "const url = \"https://example.com\"; // === \"production\"",
        ].join("\n");
        assert.deepEqual(findings("stacks/x.ts", stack, nameComparisons), [
            "stacks/x.ts:1: const ha = config.environment === \"production\";",
            "stacks/x.ts:2: if (\"local\" !== env) {}",
            "stacks/x.ts:3: switch (environment) { case 'staging': break; }",
            "stacks/x.ts:4: const aws = [\"dev\", \"staging\"].includes(config.environment);",
            "stacks/x.ts:5: const replica = environment === `local`;",
        ]);
        const component = [
            "export const productionBackupRules = [];",
            "const lock = isStaging ? a : b;",
            "tags: { environment: \"dev\" },",
            " * production: compliance lock",
            "const device = \"/dev/sda1\"; const file = \"local.file_match\";",
            "import { localCredentialsDir } from \"./local-pair\";",
        ].join("\n");
        assert.deepEqual(findings("components/x.ts", component, environmentNames), [
            "components/x.ts:1: export const productionBackupRules = [];",
            "components/x.ts:2: const lock = isStaging ? a : b;",
            "components/x.ts:3: tags: { environment: \"dev\" },",
        ]);
    });
});
