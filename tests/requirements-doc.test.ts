import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, test } from "node:test";

/**
 * docs/requirements.md traces each requirement of the operations guides to the code that
 * implements it and the test that proves it. This keeps the trace from rotting: every cited file
 * exists, every cited name appears in its file, and every cited test is the title of a test (or of
 * a test case in a table) of its test file.
 *
 * A table row is `| requirement | implemented in | proved by |`. In the last two cells a code span
 * holding a path starts a citation and the code spans after it are the names it cites; a row with
 * no code cites nothing and must say why ("not yet (issue 18)" or "not built"), and a row whose
 * code no test proves must say "no test".
 */

// Not tests/plans.ts's projectRoot: importing it loads every Pulumi SDK, and this test reads text only.
const projectRoot = resolve(__dirname, "..");
const document = "docs/requirements.md";

interface Citation {
    readonly path: string;
    readonly names: readonly string[];
}

interface Row {
    readonly line: number;
    readonly cells: readonly string[];
}

interface GuideTable {
    readonly heading: string;
    readonly rows: readonly Row[];
}

/** A file's text, or undefined when the path is not a file of the repository. */
type ReadFile = (path: string) => string | undefined;

const readRepositoryFile: ReadFile = (path) => {
    const absolute = join(projectRoot, path);
    try {
        return statSync(absolute).isFile() ? readFileSync(absolute, "utf8") : undefined;
    } catch {
        return undefined;
    }
};

const guideHeading = /^## \d+\. /;
const tableSeparator = /^\|(\s*:?-+:?\s*\|)+\s*$/;

/** The table under each numbered guide heading, without its header and separator rows. */
function guideTables(markdown: string): GuideTable[] {
    const tables: { heading: string; rows: Row[] }[] = [];
    markdown.split("\n").forEach((text, index) => {
        if (text.startsWith("## ")) {
            if (guideHeading.test(text)) tables.push({ heading: text.slice(3), rows: [] });
            else tables.push({ heading: "", rows: [] });
            return;
        }
        const current = tables.at(-1);
        if (current === undefined || current.heading === "" || !text.startsWith("|") || tableSeparator.test(text)) return;
        current.rows.push({ line: index + 1, cells: text.replace(/^\|/, "").replace(/\|\s*$/, "").split("|").map((cell) => cell.trim()) });
    });
    return tables.filter((table) => table.heading !== "").map(({ heading, rows }) => ({ heading, rows: rows.slice(1) }));
}

const pathPattern = /^[\w.@-]+(\/[\w.@-]+)*\.(ts|md|json|ya?ml|sh|mjs)$/;

/** The citations of a cell: each path code span with the name spans that follow it. */
function citations(cell: string): { citations: Citation[]; orphans: string[] } {
    const found: { path: string; names: string[] }[] = [];
    const orphans: string[] = [];
    for (const [, span] of cell.matchAll(/`([^`]+)`/g)) {
        if (pathPattern.test(span)) found.push({ path: span, names: [] });
        else if (found.length > 0) found[found.length - 1].names.push(span);
        else orphans.push(span);
    }
    return { citations: found, orphans };
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** `name` as a whole word of `text` (a hyphen counts as part of a word: `verify-backups`). */
function mentions(text: string, name: string): boolean {
    return new RegExp(`(?<![\\w$-])${escapeRegExp(name)}(?![\\w$-])`).test(text);
}

const literal = String.raw`(["'\x60])((?:\\.|(?!\1).)*)\1`;
const titlePatterns = [
    // test("…", …), it(`…`, …), describe('…', …)
    new RegExp(String.raw`\b(?:test|it|describe)\(\s*${literal}`),
    // a case row of a table that feeds test(name, …): ["…", …] or { name: "…", … }
    new RegExp(String.raw`^\s*[[{]\s*(?:name:\s*)?${literal}`),
    new RegExp(String.raw`\bname:\s*${literal}`),
];

/** The titles of the tests and test cases of a test file's source, as written (template placeholders included). */
function testTitles(source: string): string[] {
    return source.split("\n").flatMap((line) => {
        const title = titlePatterns.map((pattern) => pattern.exec(line)?.[2]).find((found) => found !== undefined);
        return title === undefined ? [] : [title];
    });
}

function citationProblems(where: string, cell: string, kind: "code" | "test", readFile: ReadFile): string[] {
    const { citations: cited, orphans } = citations(cell);
    return [
        ...orphans.map((name) => `${where}: \`${name}\` names no file before it`),
        ...cited.flatMap(({ path, names }) => {
            const text = readFile(path);
            if (text === undefined) return [`${where}: ${path} is not a file of the repository`];
            const isTest = path.endsWith(".test.ts");
            if (kind === "test" && !isTest) return [`${where}: ${path} is cited as a test but is no test file`];
            if (kind === "code" && isTest) return [`${where}: ${path} is a test file, cited as the implementation`];
            if (names.length === 0) return [`${where}: ${path} cites no ${kind === "test" ? "test" : "name"}`];
            const titles = kind === "test" ? testTitles(text) : [];
            return names
                .filter((name) => (kind === "test" ? !titles.some((title) => title.includes(name)) : !mentions(text, name)))
                .map((name) => (kind === "test" ? `${where}: no test of ${path} is titled with "${name}"` : `${where}: ${path} does not mention ${name}`));
        }),
    ];
}

const explainsAbsence = /not yet \(issue 18\)|not built/;

function rowProblems(row: Row, readFile: ReadFile): string[] {
    const where = `${document}:${row.line}`;
    if (row.cells.length !== 3) return [`${where}: expected 3 cells (requirement, implemented in, proved by), got ${row.cells.length}`];
    const [requirement, implemented, proved] = row.cells;
    const code = citations(implemented).citations;
    const tests = citations(proved).citations;
    const shape = [
        ...(requirement.length === 0 ? [`${where}: the requirement is empty`] : []),
        ...(code.length === 0 && !explainsAbsence.test(implemented) ? [`${where}: cites no code and does not say "not yet (issue 18)" or "not built"`] : []),
        ...(code.length === 0 && tests.length > 0 ? [`${where}: cites tests of code it does not cite`] : []),
        ...(code.length > 0 && tests.length === 0 && !/no test/.test(proved) ? [`${where}: cites code but no test, and does not say "no test"`] : []),
    ];
    return [...shape, ...citationProblems(where, implemented, "code", readFile), ...citationProblems(where, proved, "test", readFile)];
}

/** Every problem of the trace: its guide tables, their rows and their citations. */
function traceProblems(markdown: string, readFile: ReadFile, expectedGuides: number): string[] {
    const tables = guideTables(markdown);
    return [
        ...(tables.length === expectedGuides ? [] : [`${document}: expected a table for each of the ${expectedGuides} guides, found ${tables.length}`]),
        ...tables.filter((table) => table.rows.length === 0).map((table) => `${document}: "${table.heading}" has no rows`),
        ...tables.flatMap((table) => table.rows.flatMap((row) => rowProblems(row, readFile))),
    ];
}

const operationsGuides = 5;

describe("docs/requirements.md", () => {
    const markdown = readFileSync(join(projectRoot, document), "utf8");

    test("every cited file exists, every cited name is in its file, every cited test is a test of its file", () => {
        assert.deepEqual(traceProblems(markdown, readRepositoryFile, operationsGuides), []);
    });

    test("traces each guide with code and tests in most rows", () => {
        const tables = guideTables(markdown);
        for (const table of tables) {
            const proved = table.rows.filter((row) => citations(row.cells[2] ?? "").citations.length > 0);
            assert.ok(table.rows.length >= 10 && proved.length * 2 > table.rows.length, `${table.heading}: ${proved.length} of ${table.rows.length} rows proved`);
        }
    });
});

describe("the trace check can fail", () => {
    const table = (...rows: string[]) => ["## 1. A guide", "", "| requirement | implemented in | proved by |", "|---|---|---|", ...rows].join("\n");

    test("a missing file, a name not in its file, a test that is no test, a row that explains nothing", () => {
        const markdown = table(
            "| gone | `stacks/no-such-file.ts` `monitoringSpec` | `stacks/monitoring.test.ts` `the guides' alerts exist` |",
            "| renamed | `stacks/monitoring.ts` `monitoringSpecification` | `stacks/monitoring.test.ts` `the guides' alerts vanished` |",
            "| not a title | `stacks/monitoring.ts` `monitoringSpec` | `stacks/monitoring.test.ts` `scrapeIntervalSeconds` |",
            "| silent | nothing here | — |",
            "| untested | `stacks/monitoring.ts` `monitoringSpec` | — |",
            "| swapped | `stacks/monitoring.test.ts` `monitoringSpec` | `stacks/monitoring.ts` `monitoringSpec` |",
            "| orphan | `monitoringSpec` | — |",
            "| two cells | `stacks/monitoring.ts` `monitoringSpec` |",
        );
        assert.deepEqual(traceProblems(markdown, readRepositoryFile, 1), [
            `${document}:5: stacks/no-such-file.ts is not a file of the repository`,
            `${document}:6: stacks/monitoring.ts does not mention monitoringSpecification`,
            `${document}:6: no test of stacks/monitoring.test.ts is titled with "the guides' alerts vanished"`,
            `${document}:7: no test of stacks/monitoring.test.ts is titled with "scrapeIntervalSeconds"`,
            `${document}:8: cites no code and does not say "not yet (issue 18)" or "not built"`,
            `${document}:9: cites code but no test, and does not say "no test"`,
            `${document}:10: stacks/monitoring.test.ts is a test file, cited as the implementation`,
            `${document}:10: stacks/monitoring.ts is cited as a test but is no test file`,
            `${document}:11: cites no code and does not say "not yet (issue 18)" or "not built"`,
            `${document}:11: \`monitoringSpec\` names no file before it`,
            `${document}:12: expected 3 cells (requirement, implemented in, proved by), got 2`,
        ]);
    });

    test("a guide without its table is reported", () => {
        assert.deepEqual(traceProblems("## 1. A guide\n\nno table\n\n## 2. Another\n", readRepositoryFile, 3), [
            `${document}: expected a table for each of the 3 guides, found 2`,
            `${document}: "1. A guide" has no rows`,
            `${document}: "2. Another" has no rows`,
        ]);
    });

    test("titles come from test calls and case tables, not from the tests' bodies", () => {
        const source = [
            'test("plans production cleanly", () => assert.ok(planned));',
            "    it(`${name}: refuses ${what}`, async () => {",
            '    ["a DR region equal to the primary", { regions: {} }],',
            '    { name: "dumps starting in the maintenance window", values: {} },',
            '    assert.equal(config.name, "not a title");',
        ].join("\n");
        assert.deepEqual(testTitles(source), ["plans production cleanly", "${name}: refuses ${what}", "a DR region equal to the primary", "dumps starting in the maintenance window"]);
        assert.ok(mentions("export const verify-backups: x", "verify-backups"));
        assert.ok(!mentions("monitoringSpecProblems(spec)", "monitoringSpec"));
    });
});
