// `npm run verify-backups -- --stack ORG/keel/production` (or `--outputs FILE`, the JSON of
// `pulumi stack output --json`): verifies the stack's backups against AWS and exits non-zero
// on any failed check. See docs/runbooks/backup-verification.md.
import { BackupClient } from "@aws-sdk/client-backup";
import { S3Client } from "@aws-sdk/client-s3";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { defaultVerifyOptions, renderReport, verifyBackups, type BackupOutputs, type Clients } from "./backups/verify";

async function stackOutputs(stack: string | undefined, file: string | undefined): Promise<Record<string, unknown>> {
    if (file !== undefined) return JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    if (stack === undefined) throw new Error("usage: npm run verify-backups -- (--stack ORG/keel/ENV | --outputs FILE) [--max-age-hours N]");
    const selected = await LocalWorkspace.selectStack({ stackName: stack, workDir: resolve(__dirname, "..") });
    return Object.fromEntries(Object.entries(await selected.outputs()).map(([key, output]) => [key, output.value]));
}

function regionalClients(): Clients {
    const backup = new Map<string, BackupClient>();
    const s3 = new Map<string, S3Client>();
    const cached = <T>(cache: Map<string, T>, region: string, create: () => T) => cache.get(region) ?? cache.set(region, create()).get(region)!;
    return {
        backup: (region) => cached(backup, region, () => new BackupClient({ region })),
        s3: (region) => cached(s3, region, () => new S3Client({ region })),
    };
}

async function main(): Promise<number> {
    const { values } = parseArgs({ options: { stack: { type: "string" }, outputs: { type: "string" }, "max-age-hours": { type: "string" } } });
    const outputs = await stackOutputs(values.stack, values.outputs);
    const backup = outputs.backup as BackupOutputs | undefined;
    if (backup === undefined) {
        console.error("the stack exports no backups (keel:backup.enabled is false): nothing to verify");
        return 2;
    }
    const options = defaultVerifyOptions();
    const maxAge = values["max-age-hours"] === undefined ? options.maxRecoveryPointAgeHours : Number(values["max-age-hours"]);
    const checks = await verifyBackups(backup, regionalClients(), { ...options, maxRecoveryPointAgeHours: maxAge });
    console.log(renderReport(checks));
    return checks.every((c) => c.ok) ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        console.error(`backup verification failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(2);
    },
);
