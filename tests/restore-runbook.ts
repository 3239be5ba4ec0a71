import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The commands of docs/runbooks/restore-database.md "## Restore a logical dump", as the tests
 * run them: what the runbook says is what is tested.
 */
export interface LogicalDumpRestore {
    /** Lists the newest dumps and takes the password. */
    readonly pick: string;
    /** Fetches the dump to restore.dump, checks it, creates app_restored and restores into it. */
    readonly restore: string;
    /** Prints `<schema>.<table> <rows>` for every table of app_restored. */
    readonly compare: string;
}

export function logicalDumpRestore(): LogicalDumpRestore {
    const runbook = readFileSync(join(__dirname, "../docs/runbooks/restore-database.md"), "utf8");
    const section = runbook.slice(runbook.indexOf("## Restore a logical dump"), runbook.indexOf("## Aurora"));
    const blocks = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
    assert.equal(blocks.length, 3, "the section's blocks: pick, restore, compare");
    const [pick, restore, compare] = blocks;
    return { pick, restore, compare };
}

/** A block with its placeholders filled in. */
export function fillRunbook(block: string, values: { readonly "<dumps bucket>"?: string; readonly "<key>"?: string; readonly "<restore host>": string }): string {
    return Object.entries(values).reduce((text, [placeholder, value]) => text.replaceAll(placeholder, value), block);
}

/** A block without its S3 commands, for a dump already on disk as restore.dump. */
export function withoutS3(block: string): string {
    return block.split("\n").filter((line) => !/\baws /.test(line)).join("\n");
}
