import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { ofType, planComponents, projectRoot } from "./plans";

/**
 * The components as another team gets them: `npm pack` (which builds dist/ with type
 * declarations), the tarball unpacked into a project outside the repository, and
 * examples/single-region — a program of its own using Network, BackupBucket and
 * ReplicatedDatabase — type-checked against the package's declarations and planned.
 * The package's dependencies are linked from this repository's node_modules (npm would
 * install the same versions from the registry; tests do not reach it).
 */

const manifest = JSON.parse(readFileSync(join(projectRoot, "package.json"), "utf8")) as { name: string; version: string; dependencies: Record<string, string> };

function sh(command: string, args: string[], cwd: string): string {
    const result = spawnSync(command, args, { cwd, encoding: "utf8" });
    assert.equal(result.status, 0, `${command} ${args.join(" ")}: ${result.stderr}${result.stdout}`);
    return result.stdout;
}

describe("the package, installed into a project outside the repository", () => {
    const work = mkdtempSync(join(tmpdir(), "keel-package-"));
    const consumer = join(work, "consumer");
    let files: string[];

    before(() => {
        const [packed] = JSON.parse(sh("npm", ["pack", "--json", "--pack-destination", work], projectRoot)) as { filename: string; files: { path: string }[] }[];
        files = packed.files.map((f) => f.path);
        const installed = join(consumer, "node_modules", ...manifest.name.split("/"));
        mkdirSync(installed, { recursive: true });
        sh("tar", ["-xzf", join(work, packed.filename), "-C", installed, "--strip-components=1"], work);
        for (const dependency of [...Object.keys(manifest.dependencies), "@types/node", "typescript"]) {
            const link = join(consumer, "node_modules", dependency);
            mkdirSync(dirname(link), { recursive: true });
            symlinkSync(join(projectRoot, "node_modules", dependency), link);
        }
        for (const file of ["index.ts", "tsconfig.json"]) copyFileSync(join(projectRoot, "examples/single-region", file), join(consumer, file));
    });

    after(() => rmSync(work, { recursive: true, force: true }));

    test("holds the built components with their declarations and the dump job's script, and nothing of the program", () => {
        for (const file of ["dist/components/index.js", "dist/components/index.d.ts", "dist/components/backup/dump-job.sh", "dist/components/network/network.d.ts", "CHANGELOG.md", "package.json"]) assert.ok(files.includes(file), file);
        assert.deepEqual(files.filter((f) => /(^|\/)(stacks|scripts|tests|policies)\/|\.test\.|testing\.|^index\.ts$/.test(f)), []);
    });

    test("type-checks a program of another team against the package's declarations", () => {
        const tsc = spawnSync(process.execPath, [join(projectRoot, "node_modules/typescript/bin/tsc"), "-p", consumer], { encoding: "utf8" });
        assert.equal(tsc.status, 0, tsc.stdout);
    });

    test("plans that program: the VPC, the bucket and the database, as Keel's components", async () => {
        const program = (await import(join(consumer, "index.ts"))) as { singleRegion: () => Record<string, unknown> };
        const record = await planComponents(program.singleRegion);
        for (const type of ["keel:network:Network", "keel:backup:BackupBucket", "keel:database:ReplicatedDatabase", "aws:ec2/vpc:Vpc", "aws:s3/bucket:Bucket", "aws:rds/instance:Instance"]) {
            assert.ok(ofType(record, type).length > 0, `no ${type}`);
        }
    });
});
