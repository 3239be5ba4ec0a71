import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { PlanRecord } from "../offline-plan/engine";
import type { StackConfig } from "../offline-plan/stack-config";
import { isRunning } from "../scripts/servers/process";

/**
 * Stack plans shared by every test process of a run (and the next run, while nothing they depend
 * on changes): a plan is kept under node_modules/.cache/keel-plans, in a folder named by a hash of
 * the program's sources, the locked SDK versions, Node's version and today's date (EKS support
 * windows are judged on it), under a name hashed from the stack's resolved configuration. A
 * change to any of them plans afresh (and removes the stale folder); a test checks that a kept
 * plan reads back as the plan itself.
 */

/** What a plan of this tree is made of, besides its configuration: the files the program reads. */
const programSources = ["components", "stacks", "offline-plan", "index.ts", "Pulumi.yaml", "package-lock.json"];

function filesUnder(root: string, path: string): string[] {
    const full = join(root, path);
    if (!statSync(full).isDirectory()) return [path];
    return readdirSync(full, { recursive: true, withFileTypes: true })
        .filter((entry) => entry.isFile() && !entry.name.endsWith(".test.ts"))
        .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

const fingerprints = new Map<string, string>();

/** A hash of the program's sources, the SDK versions, Node's version and today's date. */
function programFingerprint(projectRoot: string): string {
    let fingerprint = fingerprints.get(projectRoot);
    if (fingerprint === undefined) {
        const hash = createHash("sha256").update(`${process.version}\n${new Date().toISOString().slice(0, 10)}\n`);
        for (const file of programSources.flatMap((path) => filesUnder(projectRoot, path)).sort()) hash.update(`${file}\n`).update(readFileSync(join(projectRoot, file)));
        fingerprint = hash.digest("hex");
        fingerprints.set(projectRoot, fingerprint);
    }
    return fingerprint;
}

/** The file a plan of `config` in this tree is kept in: a folder per state of the program's sources. */
export function cachedPlanFile(projectRoot: string, config: StackConfig): string {
    const key = createHash("sha256").update(JSON.stringify(config)).digest("hex").slice(0, 32);
    return join(projectRoot, "node_modules", ".cache", "keel-plans", programFingerprint(projectRoot).slice(0, 32), `${config.stack}-${key}.json`);
}

/** The folder of this state of the sources; those of earlier states are removed (their plans are stale). */
function cacheFolder(file: string): void {
    const folder = dirname(file);
    if (existsSync(folder)) return;
    mkdirSync(folder, { recursive: true });
    const parent = dirname(folder);
    for (const stale of readdirSync(parent)) if (join(parent, stale) !== folder) rmSync(join(parent, stale), { recursive: true, force: true });
}

/** The pid a lock names, or undefined once its holder has removed it. */
function lockHolder(lock: string): number | undefined {
    try {
        return Number(readFileSync(lock, "utf8"));
    } catch {
        return undefined;
    }
}

function readPlan(file: string): PlanRecord | undefined {
    try {
        return JSON.parse(readFileSync(file, "utf8")) as PlanRecord;
    } catch {
        return undefined;
    }
}

/**
 * The kept plan of `config`, else `plan()`'s, kept for the next process. While another process
 * makes the same plan (its lock names its pid) this one waits for it instead of planning too.
 */
export async function cachedPlan(projectRoot: string, config: StackConfig, plan: () => Promise<PlanRecord>): Promise<PlanRecord> {
    const file = cachedPlanFile(projectRoot, config);
    const lock = `${file}.lock`;
    cacheFolder(file);
    for (const deadline = Date.now() + 120_000; ; ) {
        const kept = readPlan(file);
        if (kept !== undefined) return kept;
        try {
            // Created with its holder's pid in one step: no other process sees it empty.
            writeFileSync(lock, String(process.pid), { flag: "wx" });
            break;
        } catch {
            const holder = lockHolder(lock);
            if (holder === undefined) continue;
            if (!isRunning(holder) || Date.now() > deadline) rmSync(lock, { force: true });
            else await new Promise((wait) => setTimeout(wait, 100));
        }
    }
    try {
        const text = JSON.stringify(await plan());
        const partial = `${file}.${process.pid}`;
        writeFileSync(partial, text);
        renameSync(partial, file);
        // What the next process reads: the same JSON, so every process sees the same shape.
        return JSON.parse(text) as PlanRecord;
    } finally {
        rmSync(lock, { force: true });
    }
}
