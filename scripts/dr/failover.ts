import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { z } from "zod";
import { checkDatabaseRole, checkDrRecoveryPoint, checkEndpoint, checkReplicaLag, type Check, type Clients } from "./checks";

/**
 * The DR plan of the ops guides as code: verify readiness, switch, promote, verify, report.
 * Each operation is a `Phase`: the `keel:dr.*` values it sets, the database it replaces (the
 * failback rebuilds databases, docs/runbooks/database-failover.md), the checks before and
 * after, and the position of the traffic switch (docs/traffic.md). The stack is injected.
 */

/** The guides' recovery time objective for production. */
export const rtoMinutes = 15;

export type Site = "primary" | "dr";

/** What the script needs of a Pulumi stack (the CLI adapts `@pulumi/pulumi/automation`'s `Stack`). */
export interface DrStack {
    /** The stack's own name (`production`), as it appears in URNs. */
    readonly name: string;
    readonly project: string;
    outputs(): Promise<Record<string, unknown>>;
    /** `pulumi config get --path` */
    getConfig(path: string): Promise<string | undefined>;
    /** `pulumi config set --path` */
    setConfig(path: string, value: string): Promise<void>;
    /** `pulumi state unprotect`: a protected resource cannot be replaced. */
    unprotect(urn: string): Promise<void>;
    preview(options: DeployOptions): Promise<{ changeSummary: Readonly<Record<string, number | undefined>> }>;
    up(options: DeployOptions): Promise<{ result: string }>;
}

export interface DeployOptions {
    readonly policyPacks: string[];
    readonly policyPackConfigs: string[];
    readonly replace: string[];
    readonly onOutput: (out: string) => void;
}

const outputsSchema = z.object({
    drActive: z.boolean(),
    database: z.object({ primaryArn: z.string(), drArn: z.string(), writerSite: z.enum(["primary", "dr"]) }),
    backup: z.object({ drVaultArn: z.string() }),
    traffic: z.object({
        url: z.string(),
        loadBalancerDnsNames: z.object({ primary: z.string(), dr: z.string() }),
        failoverSwitch: z.object({ region: z.string(), namespace: z.string(), metricName: z.string(), dimensions: z.record(z.string(), z.string()) }),
    }),
});

export type DrOutputs = z.infer<typeof outputsSchema>;

/** The stack outputs the DR plan reads; a stack without a DR region has none of them. */
export function drOutputs(outputs: Record<string, unknown>): DrOutputs {
    const parsed = outputsSchema.safeParse(outputs);
    if (!parsed.success) {
        const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; ");
        throw new Error(`the stack's outputs are not those of an active-passive stack (production): ${problems}`);
    }
    return parsed.data;
}

/** The URN of a `ReplicatedDatabase` instance (`database-primary` / `database-dr`), as `pulumi stack --show-urns` prints it. */
export function databaseUrn(stack: Pick<DrStack, "name" | "project">, site: Site): string {
    return `urn:pulumi:${stack.name}::${stack.project}::keel:database:ReplicatedDatabase$aws:rds/instance:Instance::database-${site}`;
}

export interface PhaseContext {
    readonly outputs: DrOutputs;
    readonly clients: Clients;
    readonly rpoSeconds: number;
    readonly now: Date;
}

export interface Phase {
    readonly name: "failover" | "rebuild" | "switch-back";
    readonly title: string;
    /** The `keel:dr.*` values the phase starts from (checked before anything changes). */
    readonly from: Readonly<Record<string, (value: string | undefined) => boolean>>;
    /** Concrete starting values for the offline `--dry-run` (defaults otherwise). */
    readonly offlineStart: readonly (readonly [string, string])[];
    /** `pulumi config set --path` values, in order. */
    readonly config: readonly (readonly [string, string])[];
    /** The database the phase replaces (`--replace`, after `unprotect`). */
    readonly replace?: Site;
    /** Failback phases are planned work: preview, then `up` only with `--yes`. */
    readonly previewFirst: boolean;
    /** Published to the traffic switch: 1 holds traffic in the DR region, 0 hands it back. */
    readonly trafficSwitch?: { readonly value: 0 | 1; readonly when: "before-up" | "after-up" };
    preflight(context: PhaseContext): Promise<Check[]>;
    verify(context: PhaseContext): Promise<Check[]>;
}

const isTrue = (value: string | undefined) => value === "true";
const isFalse = (value: string | undefined) => value === undefined || value === "false";

export const phases: Readonly<Record<Phase["name"], Phase>> = {
    failover: {
        name: "failover",
        title: "fail over to the DR region",
        from: { "keel:dr.active": isFalse },
        offlineStart: [],
        config: [["keel:dr.active", "true"]],
        previewFirst: false,
        // Traffic first, as the traffic and database runbooks order it: it also keeps traffic in the DR region if us-east-1 recovers half-way.
        trafficSwitch: { value: 1, when: "before-up" },
        preflight: async ({ outputs, clients, rpoSeconds, now }) => [
            await checkReplicaLag("DR replica", outputs.database.drArn, rpoSeconds, clients, now),
            await checkEndpoint("DR", outputs.traffic.loadBalancerDnsNames.dr, outputs.traffic.url, clients),
            await checkDrRecoveryPoint(outputs.backup.drVaultArn, clients, now),
        ],
        verify: async ({ outputs, clients }) => [
            { name: "stack output database.writerSite", ok: outputs.database.writerSite === "dr", detail: outputs.database.writerSite },
            await checkDatabaseRole("DR database", outputs.database.drArn, "writer", clients),
            await checkEndpoint("DR", outputs.traffic.loadBalancerDnsNames.dr, outputs.traffic.url, clients),
        ],
    },
    rebuild: {
        name: "rebuild",
        title: "failback 1/2: rebuild the primary region's database as a replica of the DR writer",
        from: { "keel:dr.active": isTrue, "keel:dr.primaryDatabase": (value) => value !== "rebuilding" },
        offlineStart: [["keel:dr.active", "true"]],
        config: [["keel:dr.primaryDatabase", "rebuilding"]],
        replace: "primary",
        previewFirst: true,
        preflight: async ({ outputs, clients, now }) => [
            await checkDatabaseRole("DR database", outputs.database.drArn, "writer", clients),
            await checkDrRecoveryPoint(outputs.backup.drVaultArn, clients, now),
        ],
        verify: async ({ outputs, clients }) => [await checkDatabaseRole("rebuilt primary database", outputs.database.primaryArn, "replica", clients)],
    },
    "switch-back": {
        name: "switch-back",
        title: "failback 2/2: promote the rebuilt primary database and serve from the primary region",
        from: { "keel:dr.active": isTrue, "keel:dr.primaryDatabase": (value) => value === "rebuilding" },
        offlineStart: [["keel:dr.active", "true"], ["keel:dr.primaryDatabase", "rebuilding"]],
        config: [["keel:dr.active", "false"], ["keel:dr.primaryDatabase", "rebuilt"]],
        replace: "dr",
        previewFirst: true,
        trafficSwitch: { value: 0, when: "after-up" },
        preflight: async ({ outputs, clients, rpoSeconds, now }) => [
            await checkReplicaLag("rebuilt primary replica", outputs.database.primaryArn, rpoSeconds, clients, now),
            await checkEndpoint("primary", outputs.traffic.loadBalancerDnsNames.primary, outputs.traffic.url, clients),
        ],
        verify: async ({ outputs, clients }) => [
            { name: "stack output database.writerSite", ok: outputs.database.writerSite === "primary", detail: outputs.database.writerSite },
            await checkDatabaseRole("primary database", outputs.database.primaryArn, "writer", clients),
            await checkEndpoint("primary", outputs.traffic.loadBalancerDnsNames.primary, outputs.traffic.url, clients),
        ],
    },
};

/** The phase as `npm run plan -- --config` overrides: the configuration before and after it. */
export function phaseOverrides(phase: Phase): { before: string[]; after: string[] } {
    const text = (pairs: readonly (readonly [string, string])[]) => pairs.map(([key, value]) => `${key}=${value}`);
    const after = new Map([...phase.offlineStart, ...phase.config]);
    return { before: text(phase.offlineStart), after: text([...after.entries()]) };
}

export interface RunOptions {
    readonly stack: DrStack;
    readonly clients: Clients;
    readonly rpoSeconds: number;
    /** Proceed although a preflight check failed; needs `reason`, which the report records. */
    readonly force: boolean;
    readonly reason?: string;
    /** Apply after the preview (failback phases). */
    readonly yes: boolean;
    /** Paths relative to the project, as `pulumi up --policy-pack ... --policy-pack-config ...` takes them. */
    readonly policyPack: string;
    readonly policyPackConfig: string;
    readonly clock: () => Date;
    readonly log: (line: string) => void;
}

export interface RunResult {
    readonly ok: boolean;
    readonly timeline: string;
}

/** Refuses a run that cannot start: `--force` without a reason. Thrown before anything is read. */
export class RefusedError extends Error {}

export function renderChecks(title: string, checks: readonly Check[]): string {
    return [title, ...checks.map((c) => `  ${c.ok ? "PASS" : "FAIL"}  ${c.name}: ${c.detail}`)].join("\n");
}

const minutes = (ms: number) => `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`;

/** Timestamped events from the start; the RTO is start → verified. */
export class Timeline {
    private readonly events: { at: Date; event: string }[] = [];

    constructor(private readonly clock: () => Date) {}

    mark(event: string): void {
        this.events.push({ at: this.clock(), event });
    }

    render(verified: boolean): string {
        const start = this.events[0].at.getTime();
        const lines = this.events.map(({ at, event }) => `  ${at.toISOString()}  +${minutes(at.getTime() - start)}  ${event}`);
        const elapsed = this.events[this.events.length - 1].at.getTime() - start;
        const rto = verified
            ? `measured RTO ${minutes(elapsed)} against the ${rtoMinutes}-minute objective: ${elapsed <= rtoMinutes * 60_000 ? "met" : "MISSED"}`
            : `not verified after ${minutes(elapsed)}: no RTO measured (objective ${rtoMinutes} minutes)`;
        return ["timeline", ...lines, `  ${rto}`].join("\n");
    }
}

async function publishSwitch(outputs: DrOutputs, value: 0 | 1, clients: Clients): Promise<void> {
    const { region, namespace, metricName, dimensions } = outputs.traffic.failoverSwitch;
    // A data-plane call in the DR region: moving traffic needs nothing from us-east-1 (docs/traffic.md).
    await clients.cloudwatch(region).send(new PutMetricDataCommand({
        Namespace: namespace,
        MetricData: [{ MetricName: metricName, Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })), Value: value }],
    }));
}

/** Checks the starting configuration and the preflight; returns them, refusing nothing. */
export async function preflight(phase: Phase, options: Pick<RunOptions, "stack" | "clients" | "rpoSeconds" | "clock">): Promise<{ outputs: DrOutputs; checks: Check[] }> {
    const outputs = drOutputs(await options.stack.outputs());
    const configChecks: Check[] = [];
    for (const [key, accepts] of Object.entries(phase.from)) {
        const value = await options.stack.getConfig(key);
        configChecks.push({ name: `config ${key}`, ok: accepts(value), detail: value ?? "(unset)" });
    }
    const checks = await phase.preflight({ outputs, clients: options.clients, rpoSeconds: options.rpoSeconds, now: options.clock() });
    return { outputs, checks: [...configChecks, ...checks] };
}

/** `--dry-run`: the preflight, then the offline plan's difference; changes nothing. */
export async function dryRunPhase(phase: Phase, options: Pick<RunOptions, "stack" | "clients" | "rpoSeconds" | "clock" | "log">, planDiff: (before: string[], after: string[]) => Promise<string>): Promise<boolean> {
    const { checks } = await preflight(phase, options);
    options.log(renderChecks("preflight", checks));
    const { before, after } = phaseOverrides(phase);
    options.log(`\noffline plan: ${before.length > 0 ? before.join(", ") : "current configuration"} → ${after.join(", ")}`);
    options.log(await planDiff(before, after));
    if (phase.replace) options.log(`  and --replace ${databaseUrn(options.stack, phase.replace)} (not visible offline)`);
    return checks.every((c) => c.ok);
}

export async function runPhase(phase: Phase, options: RunOptions): Promise<RunResult> {
    if (options.force && !options.reason?.trim()) throw new RefusedError("--force needs --reason \"...\": the override is recorded in the timeline");
    const timeline = new Timeline(options.clock);
    const { log, stack } = options;
    timeline.mark(`start: ${phase.title} (stack ${stack.name})`);
    const { outputs, checks } = await preflight(phase, options);
    log(renderChecks("preflight", checks));
    const failed = checks.filter((c) => !c.ok);
    if (failed.length > 0 && !options.force) {
        timeline.mark(`refused: ${failed.length} preflight check(s) failed`);
        log(`\nRefused: ${failed.map((c) => c.name).join("; ")}. Fix the cause, or re-run with --force --reason "..." if the incident commander accepts the risk.`);
        return { ok: false, timeline: timeline.render(false) };
    }
    timeline.mark(failed.length > 0 ? `preflight overridden (--force): ${options.reason}` : "preflight passed");

    const deploy: DeployOptions = {
        policyPacks: [options.policyPack],
        policyPackConfigs: [options.policyPackConfig],
        replace: phase.replace ? [databaseUrn(stack, phase.replace)] : [],
        onOutput: (out) => log(out.replace(/\n$/, "")),
    };
    if (phase.previewFirst) {
        const preview = await stack.preview(deploy);
        const summary = Object.entries(preview.changeSummary).map(([op, n]) => `${op} ${n}`).join(", ");
        timeline.mark(`previewed: ${summary}`);
        if (!options.yes) {
            log(`\nPreview only (${summary}). Review it, then re-run with --yes to apply.`);
            return { ok: true, timeline: timeline.render(false) };
        }
    }
    if (phase.trafficSwitch?.when === "before-up") {
        await publishSwitch(outputs, phase.trafficSwitch.value, options.clients);
        timeline.mark(`traffic switch ${outputs.traffic.failoverSwitch.metricName}=${phase.trafficSwitch.value} published`);
    }
    for (const [key, value] of phase.config) await stack.setConfig(key, value);
    timeline.mark(`config set: ${phase.config.map(([key, value]) => `${key}=${value}`).join(", ")}`);
    for (const urn of deploy.replace) {
        await stack.unprotect(urn);
        timeline.mark(`unprotected for replacement: ${urn}`);
    }
    const up = await stack.up(deploy);
    timeline.mark(`pulumi up: ${up.result}`);
    if (up.result !== "succeeded") {
        log(`\npulumi up ${up.result}: read its output above; run the script again (the configuration is already set) or continue by the runbook.`);
        return { ok: false, timeline: timeline.render(false) };
    }
    const after = drOutputs(await stack.outputs());
    if (phase.trafficSwitch?.when === "after-up") {
        await publishSwitch(after, phase.trafficSwitch.value, options.clients);
        timeline.mark(`traffic switch ${after.traffic.failoverSwitch.metricName}=${phase.trafficSwitch.value} published`);
    }
    const verification = await phase.verify({ outputs: after, clients: options.clients, rpoSeconds: options.rpoSeconds, now: options.clock() });
    log(renderChecks("verify", verification));
    const verified = verification.every((c) => c.ok);
    timeline.mark(verified ? "verified" : `verification failed: ${verification.filter((c) => !c.ok).map((c) => c.name).join("; ")}`);
    return { ok: verified, timeline: timeline.render(verified) };
}
