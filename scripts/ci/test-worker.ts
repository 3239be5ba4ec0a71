import { createRequire } from "node:module";
import { relative, resolve } from "node:path";
import { describe } from "node:test";

/**
 * One process of `npm test` (scripts/ci/test.ts): it asks for a test file, runs it as a suite
 * named by its path, and asks for the next until there is none. Its files share the Pulumi SDKs
 * it loaded once and the plans it made (tests/plans.ts), instead of loading and planning again
 * in a process per file; each file's tests and hooks stay inside the file's suite.
 */

export type WorkerRequest = { readonly file: string } | { readonly done: true };
export type WorkerReport = { readonly ready: true };

const projectRoot = resolve(__dirname, "../..");
const load = createRequire(__filename);

function nextFile(): Promise<string | undefined> {
    return new Promise((answer) => {
        process.once("message", (request: WorkerRequest) => answer("file" in request ? request.file : undefined));
        process.send?.({ ready: true } satisfies WorkerReport);
    });
}

async function work(): Promise<void> {
    for (let file = await nextFile(); file !== undefined; file = await nextFile()) {
        const path = file;
        await describe(relative(projectRoot, path), () => {
            load(path);
        });
    }
    // node:test reports once nothing is left to run; the channel would keep this process alive.
    process.disconnect();
}

if (process.send === undefined) {
    console.error("scripts/ci/test-worker.ts runs under npm test (scripts/ci/test.ts), which sends it the test files");
    process.exit(2);
}
void work();
