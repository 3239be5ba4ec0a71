// `npm run dr-failover -- --stack ORG/keel/production [--dry-run] [--yes] [--force --reason "..."]`
// `npm run dr-failover -- failback --phase rebuild|switch-back --stack ... [--dry-run] [--yes] [--force --reason "..."]`
// The DR plan of the ops guides: preflight, traffic switch, `keel:dr.*` + `pulumi up` with the
// policy pack, verification, and a timeline with the measured RTO. See docs/runbooks/dr-failover.md
// and docs/runbooks/failback.md.
import { BackupClient } from "@aws-sdk/client-backup";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { CloudFrontClient } from "@aws-sdk/client-cloudfront";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { ElasticLoadBalancingV2Client } from "@aws-sdk/client-elastic-load-balancing-v2";
import { RDSClient } from "@aws-sdk/client-rds";
import type { Stack } from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import { request } from "node:https";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { createInterface } from "node:readline/promises";
import { RefusedInput } from "../policies/offline";
import { calendarReportingPackConfig } from "./preview-pack-config";
import { ConfigError, resolveKeelConfig } from "../stacks/config";
import type { Clients } from "./dr/checks";
import { parseCommand, usage } from "./dr/cli";
import { dryRunPhase, RefusedError, runPhase, type DrStack } from "./dr/failover";
import { planDifference, renderDiff } from "./plan/diff";
import { consoleOutput, internalErrorMessage, type Output } from "./cli/command-line";
import { loadStackConfig } from "../offline-plan/stack-config";

const projectRoot = resolve(__dirname, "..");

function httpsGet(host: string, serverName: string, path: string): Promise<number> {
    return new Promise((done, fail) => {
        const req = request({ host, servername: serverName, headers: { host: serverName }, path, method: "GET", timeout: 10_000 }, (response) => {
            response.resume();
            done(response.statusCode ?? 0);
        });
        req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
        req.on("error", fail);
        req.end();
    });
}

function regionalClients(): Clients {
    const caches = { cloudwatch: new Map<string, CloudWatchClient>(), rds: new Map<string, RDSClient>(), backup: new Map<string, BackupClient>(), elasticache: new Map<string, ElastiCacheClient>(), elbv2: new Map<string, ElasticLoadBalancingV2Client>() };
    let cloudfront: CloudFrontClient | undefined;
    const cached = <T>(cache: Map<string, T>, region: string, create: () => T) => cache.get(region) ?? cache.set(region, create()).get(region)!;
    return {
        cloudwatch: (region) => cached(caches.cloudwatch, region, () => new CloudWatchClient({ region })),
        rds: (region) => cached(caches.rds, region, () => new RDSClient({ region })),
        backup: (region) => cached(caches.backup, region, () => new BackupClient({ region })),
        elasticache: (region) => cached(caches.elasticache, region, () => new ElastiCacheClient({ region })),
        elbv2: (region) => cached(caches.elbv2, region, () => new ElasticLoadBalancingV2Client({ region })),
        cloudfront: () => (cloudfront ??= new CloudFrontClient({ region: "us-east-1" })),
        httpsGet,
    };
}

/** The automation API's stack behind the script's `DrStack`. */
function drStack(stack: Stack, name: string, project: string): DrStack {
    return {
        name,
        project,
        outputs: async () => Object.fromEntries(Object.entries(await stack.outputs()).map(([key, output]) => [key, output.value])),
        // `pulumi config get --path` fails for an unset key: the default applies then.
        getConfig: (path) => stack.getConfig(path, true).then((config) => config.value, () => undefined),
        setConfig: (path, value) => stack.setConfig(path, { value }, true),
        // The automation API has no `state unprotect`; the CLI it drives does.
        unprotect: async (urn) => {
            await promisify(execFile)("pulumi", ["state", "unprotect", urn, "--stack", stack.name, "--yes"], { cwd: projectRoot });
        },
        preview: (options) => stack.preview({ ...options, diff: true }),
        up: async (options) => {
            try {
                return { result: (await stack.up({ ...options, diff: true })).summary.result };
            } catch (error) {
                options.onOutput(`${error instanceof Error ? error.message : String(error)}\n`);
                return { result: "failed" };
            }
        },
    };
}

/** What the command reaches outside itself; the tests replace each. */
export interface Dependencies {
    /** The Pulumi stack through the automation API (needs the Pulumi CLI). */
    readonly openStack: (stackName: string, environment: string, project: string) => Promise<DrStack>;
    readonly clients: () => Clients;
    /** A question at the terminal; false when there is none to ask. */
    readonly confirm: (question: string, expected: string) => Promise<boolean>;
    readonly planDiff: (environment: string, before: string[], after: string[]) => Promise<string>;
    readonly clock: () => Date;
}

/** Yes only when a person at a terminal types exactly `expected`; never without a terminal. */
async function confirmAtTerminal(question: string, expected: string): Promise<boolean> {
    if (!process.stdin.isTTY || !process.stdout.isTTY) return false;
    const terminal = createInterface({ input: process.stdin, output: process.stdout });
    try {
        return (await terminal.question(`\n${question}`)).trim() === expected;
    } finally {
        terminal.close();
    }
}

const isMissingPulumi = (error: unknown) => error instanceof Error && /ENOENT|pulumi.*not found|command not found/i.test(`${error.message} ${(error as NodeJS.ErrnoException).code ?? ""}`);

export const realDependencies: Dependencies = {
    openStack: async (stackName, environment, project) => {
        try {
            // The automation API loads the Pulumi SDK: only a failover or failback needs it.
            const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
            return drStack(await LocalWorkspace.selectStack({ stackName, workDir: projectRoot }), environment, project);
        } catch (error) {
            if (isMissingPulumi(error)) throw new RefusedInput("the Pulumi CLI is not installed (or not on PATH): a failover or failback drives it, with AWS credentials for the stack. --dry-run needs neither.");
            throw error;
        }
    },
    clients: regionalClients,
    confirm: confirmAtTerminal,
    planDiff: async (environment, before, after) => renderDiff(await planDifference(projectRoot, environment, before, after)),
    clock: () => new Date(),
};

/** The command itself, for the script and for tests: returns the exit code. */
export async function drFailoverCommand(argv: readonly string[], io: Output, dependencies: Dependencies = realDependencies): Promise<number> {
    try {
        const command = parseCommand(argv);
        if (command === "help") {
            io.out(usage);
            return 0;
        }
        const { environment, phase } = command;
        // The RPO from the checked-in stack configuration (keel:database.rpoSeconds), refusing invalid configuration first.
        const stackConfig = loadStackConfig(projectRoot, environment);
        const rpoSeconds = resolveKeelConfig(stackConfig.config, environment).database.rpoSeconds;
        // A failover is an emergency change: the change calendar reports it, never refuses it.
        const policyPackConfig = calendarReportingPackConfig(environment);
        const planDiff = (before: string[], after: string[]) => dependencies.planDiff(environment, before, after);
        if (command.dryRun) {
            await dryRunPhase(phase, { stack: { name: environment, project: stackConfig.project }, rpoSeconds, planDiff, policyPackConfig, log: io.out });
            return 0;
        }
        const stack = await dependencies.openStack(command.stack, environment, stackConfig.project);
        const result = await runPhase(phase, {
            stack,
            clients: dependencies.clients(),
            rpoSeconds,
            force: command.force,
            ...(command.reason !== undefined ? { reason: command.reason } : {}),
            yes: command.yes,
            confirm: (question) => dependencies.confirm(question, environment),
            planDiff,
            policyPack: "policies",
            policyPackConfig,
            clock: dependencies.clock,
            log: io.out,
        });
        io.out(`\n${result.timeline}`);
        return result.declined ? 2 : result.ok ? 0 : 1;
    } catch (error) {
        if (!(error instanceof RefusedInput || error instanceof RefusedError || error instanceof ConfigError)) throw error;
        io.err(error.message);
        return 2;
    }
}

if (require.main === module) {
    drFailoverCommand(process.argv.slice(2), consoleOutput).then(
        (code) => process.exit(code),
        (error: unknown) => {
            // Not 2 (refused): an internal error may come after the run changed something; the timeline so far is above.
            console.error(internalErrorMessage("dr-failover", error));
            process.exit(1);
        },
    );
}
