// `npm run verify-backups -- --stack ORG/keel/production` (or `--outputs FILE`, the JSON of
// `pulumi stack output --json`): verifies the stack's backups against AWS and exits non-zero
// on any failed check. See docs/runbooks/backup-verification.md.
import { BackupClient } from "@aws-sdk/client-backup";
import { S3Client } from "@aws-sdk/client-s3";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { RefusedInput } from "../policies/offline";
import { defaultVerifyOptions, renderReport, verifyBackups, type BackupOutputs, type Clients } from "./backups/verify";
import { runAsScript, runCommand, type Output } from "./cli/command-line";

const defaults = defaultVerifyOptions();

export const usage = `usage: npm run verify-backups -- (--stack ORG/keel/ENV | --outputs FILE) [--max-age-hours N]

Verifies a stack's backups against AWS with read-only credentials: the newest recovery point of
each AWS Backup vault, the copy jobs into the DR vault, fresh database dumps under every dump
prefix and the buckets' replication (docs/runbooks/backup-verification.md).
  --stack ORG/keel/ENV   read the stack's outputs with the Pulumi CLI (needs \`pulumi login\`)
  --outputs FILE         read them from FILE instead: the JSON of \`pulumi stack output --json\`
  --max-age-hours N      the oldest a newest recovery point and the copy window may be (default ${defaults.maxRecoveryPointAgeHours})
  -h, --help             print this help
Exactly one of --stack and --outputs. Exit code: 0 all checks passed, 1 a check failed, 2 refused
or could not run (usage, no backups in the stack, AWS or Pulumi unreachable).
Set KEEL_DEBUG=1 to see the stack trace of an internal error.`;

const hint = "usage: npm run verify-backups -- (--stack ORG/keel/ENV | --outputs FILE) [--max-age-hours N] (--help explains them)";

const options = { stack: { type: "string" }, outputs: { type: "string" }, "max-age-hours": { type: "string" }, help: { type: "boolean", short: "h" } } as const;

function outputsFile(file: string): Record<string, unknown> {
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (error) {
        throw new RefusedInput(`--outputs ${file}: cannot read it: ${(error as Error).message}`);
    }
    let outputs: unknown;
    try {
        outputs = JSON.parse(text);
    } catch (error) {
        throw new RefusedInput(`--outputs ${file} is not JSON (${(error as Error).message}); expected the output of \`pulumi stack output --json\``);
    }
    if (typeof outputs !== "object" || outputs === null || Array.isArray(outputs)) throw new RefusedInput(`--outputs ${file}: expected an object of stack outputs (\`pulumi stack output --json\`), got ${Array.isArray(outputs) ? "a list" : JSON.stringify(outputs)}`);
    return outputs as Record<string, unknown>;
}

async function stackOutputs(stack: string): Promise<Record<string, unknown>> {
    // The automation API loads the Pulumi SDK: --outputs, a refusal and --help answer without it.
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const selected = await LocalWorkspace.selectStack({ stackName: stack, workDir: resolve(__dirname, "..") });
    return Object.fromEntries(Object.entries(await selected.outputs()).map(([key, output]) => [key, output.value]));
}

function maxAgeHours(text: string | undefined): number {
    if (text === undefined) return defaults.maxRecoveryPointAgeHours;
    const hours = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text) || hours <= 0) throw new RefusedInput(`--max-age-hours expects a positive number of hours, got "${text}"`);
    return hours;
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

/** The command itself, for the script and for tests: returns the exit code. */
export function verifyBackupsCommand(argv: readonly string[], io: Output): Promise<number> {
    return runCommand(argv, io, { options, hint, help: usage }, async ({ values, positionals }) => {
        if (positionals.length > 0) throw new RefusedInput(`unexpected argument "${positionals[0]}"\n${hint}`);
        if ((values.stack === undefined) === (values.outputs === undefined)) throw new RefusedInput(`${values.stack === undefined ? "no stack given" : "--stack and --outputs both given"}: give exactly one of them\n${hint}`);
        const maxRecoveryPointAgeHours = maxAgeHours(values["max-age-hours"]);
        const outputs = values.outputs !== undefined ? outputsFile(values.outputs) : await stackOutputs(values.stack!);
        const backup = outputs.backup as BackupOutputs | undefined;
        if (backup === undefined) throw new RefusedInput("the stack exports no backups (keel:backup.enabled is false): nothing to verify");
        const checks = await verifyBackups(backup, regionalClients(), { ...defaultVerifyOptions(), maxRecoveryPointAgeHours });
        io.out(renderReport(checks));
        return checks.every((c) => c.ok) ? 0 : 1;
    });
}

if (require.main === module) runAsScript("backup verification", verifyBackupsCommand);
