import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { test } from "node:test";
import { projectRoot } from "./plans";

/** The repository's Markdown: README, DESIGN and every page under docs/. */
function markdownFiles(): string[] {
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
        entry.isDirectory() ? walk(join(dir, entry.name)) : entry.name.endsWith(".md") ? [join(dir, entry.name)] : []);
    return [join(projectRoot, "README.md"), join(projectRoot, "DESIGN.md"), ...walk(join(projectRoot, "docs"))];
}

test("every relative link in the docs names a file in the repository", () => {
    const broken = markdownFiles().flatMap((file) => {
        const text = readFileSync(file, "utf8").replace(/```[\s\S]*?```/g, "");
        return [...text.matchAll(/\]\(([^)\s]+)\)/g)]
            .map((match) => match[1])
            .filter((target) => !/^(https?:|mailto:|#)/.test(target))
            .filter((target) => {
                const path = join(dirname(file), target.split("#")[0]);
                return !existsSync(path) || relative(projectRoot, path).startsWith("..");
            })
            .map((target) => `${relative(projectRoot, file)}: ${target}`);
    });
    assert.deepEqual(broken, []);
});
