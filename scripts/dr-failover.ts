// `npm run dr-failover -- [--stack ORG/keel/production] [--dry-run] [--force --reason "..."]`
// `npm run dr-failover -- failback --phase rebuild|switch-back [--stack ...] [--dry-run] [--yes] [--force --reason "..."]`
// The DR plan of the ops guides: preflight, traffic switch, `keel:dr.*` + `pulumi up` with the
// policy pack, verification, and a timeline with the measured RTO. See docs/runbooks/dr-failover.md
// and docs/runbooks/failback.md.
import { BackupClient } from "@aws-sdk/client-backup";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { RDSClient } from "@aws-sdk/client-rds";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { execFile } from "node:child_process";
import { request } from "node:https";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { ConfigError, resolveKeelConfig } from "../stacks/config";
import type { Clients } from "./dr/checks";
import { parseCommand, usage } from "./dr/cli";
import { dryRunPhase, RefusedError, runPhase, type DrStack } from "./dr/failover";
import { planDifference, renderDiff } from "./dr/plan-diff";
import { loadStackConfig } from "./plan/stack-config";

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
    const caches = { cloudwatch: new Map<string, CloudWatchClient>(), rds: new Map<string, RDSClient>(), backup: new Map<string, BackupClient>() };
    const cached = <T>(cache: Map<string, T>, region: string, create: () => T) => cache.get(region) ?? cache.set(region, create()).get(region)!;
    return {
        cloudwatch: (region) => cached(caches.cloudwatch, region, () => new CloudWatchClient({ region })),
        rds: (region) => cached(caches.rds, region, () => new RDSClient({ region })),
        backup: (region) => cached(caches.backup, region, () => new BackupClient({ region })),
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

async function main(): Promise<number> {
    const command = parseCommand(process.argv.slice(2));
    if (command === "help" || command === undefined) {
        console.error(usage);
        return command === "help" ? 0 : 2;
    }
    if (command.force && !command.reason?.trim()) throw new RefusedError("--force needs --reason \"...\": the override is recorded in the timeline");

    const environment = command.stack.split("/").pop() ?? command.stack;
    // The RPO from the checked-in stack configuration (keel:database.rpoSeconds), refusing invalid configuration first.
    const stackConfig = loadStackConfig(projectRoot, environment);
    const rpoSeconds = resolveKeelConfig(stackConfig.config, environment).database.rpoSeconds;
    const stack = drStack(await LocalWorkspace.selectStack({ stackName: command.stack, workDir: projectRoot }), environment, stackConfig.project);
    const options = { stack, clients: regionalClients(), rpoSeconds, clock: () => new Date(), log: (line: string) => console.log(line) };

    const { phase } = command;
    if (command.dryRun) {
        const ready = await dryRunPhase(phase, options, async (before, after) => renderDiff(await planDifference(projectRoot, environment, before, after)));
        return ready ? 0 : 1;
    }
    const result = await runPhase(phase, {
        ...options,
        force: command.force,
        ...(command.reason !== undefined ? { reason: command.reason } : {}),
        yes: command.yes,
        policyPack: "policies",
        policyPackConfig: `policies/config/${environment}.json`,
    });
    console.log(`\n${result.timeline}`);
    return result.ok ? 0 : 1;
}

main().then(
    (code) => process.exit(code),
    (error: unknown) => {
        console.error(error instanceof RefusedError || error instanceof ConfigError ? error.message : `dr-failover failed: ${error instanceof Error ? error.message : String(error)}`);
        process.exit(2);
    },
);
