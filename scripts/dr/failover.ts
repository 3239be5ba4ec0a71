import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { z } from "zod";
import { checkCachePrimary, checkDatabaseRole, checkDrRecoveryPoint, checkEndpoint, checkReplicaLag, checkTargets, failOverCache, invalidateEdgeCache, lagWindowMinutes, type CacheMember, type Check, type Clients } from "./checks";

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
        targetGroupArns: z.object({ primary: z.string(), dr: z.string() }).optional(),
        /** CloudFront in front of the service (stacks/edge.ts); its load balancers then admit only the edge. */
        edge: z.object({ distributionId: z.string() }).optional(),
    }),
    /** A cache with a Global Datastore secondary (stacks/cache.ts); a stack without one has none. */
    cache: z.object({
        globalDatastoreId: z.string(),
        replicationGroupIds: z.object({ primary: z.string(), dr: z.string() }),
        regions: z.object({ primary: z.string(), dr: z.string() }),
    }).optional(),
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

/** A check of the DR plan: what it verifies, in words (for `--dry-run`, which runs none), and how. */
export interface PhaseCheck {
    readonly description: (rpoSeconds: number) => string;
    readonly run: (context: PhaseContext) => Promise<Check>;
}

/** A `keel:dr.*` value a phase starts from: which values it accepts, in words and as a test. */
export interface StartingValue {
    readonly expected: string;
    readonly accepts: (value: string | undefined) => boolean;
}

export interface Phase {
    readonly name: "failover" | "rebuild" | "switch-back";
    readonly title: string;
    /** The `keel:dr.*` values the phase starts from (checked before anything changes). */
    readonly from: Readonly<Record<string, StartingValue>>;
    /** Concrete starting values for the offline `--dry-run` (defaults otherwise). */
    readonly offlineStart: readonly (readonly [string, string])[];
    /** `pulumi config set --path` values, in order. */
    readonly config: readonly (readonly [string, string])[];
    /** The database the phase replaces (`--replace`, after `unprotect`). */
    readonly replace?: Site;
    /** Failback phases are planned work: preview, then `up` only with `--yes`. */
    readonly previewFirst: boolean;
    /**
     * Where the cache's Global Datastore primary moves (the provider cannot move it): to the DR
     * region before `pulumi up` on failover (the DR region already serves), back after it on
     * switch-back (before traffic returns).
     */
    readonly cacheFailover?: { readonly to: Site; readonly when: "before-up" | "after-up" };
    /** Published to the traffic switch: 1 holds traffic in the DR region, 0 hands it back. */
    readonly trafficSwitch?: { readonly value: 0 | 1; readonly when: "before-up" | "after-up" };
    readonly preflight: readonly PhaseCheck[];
    readonly verify: readonly PhaseCheck[];
}

const isTrue: StartingValue = { expected: "true", accepts: (value) => value === "true" };
const isFalse: StartingValue = { expected: "false or unset", accepts: (value) => value === undefined || value === "false" };

const arnOf = (outputs: DrOutputs, site: Site) => (site === "primary" ? outputs.database.primaryArn : outputs.database.drArn);
const loadBalancerOf = (outputs: DrOutputs, site: Site) => outputs.traffic.loadBalancerDnsNames[site];
const regionName = (site: Site) => (site === "primary" ? "primary" : "DR");

const replicaLag = (label: string, site: Site): PhaseCheck => ({
    description: (rpoSeconds) => `${label} (stack output database.${site}Arn): ReplicaLag, max over ${lagWindowMinutes} min, under the RPO (${rpoSeconds} s)`,
    run: ({ outputs, clients, rpoSeconds, now }) => checkReplicaLag(label, arnOf(outputs, site), rpoSeconds, clients, now),
});
/**
 * A region's endpoint: `GET /health` on its load balancer; behind the edge (which the load
 * balancer admits alone) its targets' health as the load balancer reports it.
 */
const endpoint = (site: Site): PhaseCheck => ({
    description: () => `${regionName(site)} endpoint: GET https://<traffic.loadBalancerDnsNames.${site}>/health answers 200 (behind the edge: a healthy target in traffic.targetGroupArns.${site})`,
    run: ({ outputs, clients }) => {
        const targetGroup = outputs.traffic.targetGroupArns?.[site];
        return outputs.traffic.edge !== undefined && targetGroup !== undefined
            ? checkTargets(regionName(site), targetGroup, clients)
            : checkEndpoint(regionName(site), loadBalancerOf(outputs, site), outputs.traffic.url, clients);
    },
});
/** The service as its users reach it: through the edge, whichever region serves. */
const serviceUrl: PhaseCheck = {
    description: () => "the service: GET <traffic.url>/health answers 200 (through CloudFront, where the stack has an edge)",
    run: async ({ outputs, clients }) => {
        if (outputs.traffic.edge === undefined) return { name: "the service through the edge", ok: true, detail: "no edge in this stack: the endpoint check covers it" };
        const host = new URL(outputs.traffic.url).hostname;
        return checkEndpoint("the service through the edge", host, outputs.traffic.url, clients);
    },
};
const cacheMember = (outputs: DrOutputs, site: Site): CacheMember | undefined =>
    outputs.cache && { region: outputs.cache.regions[site], replicationGroupId: outputs.cache.replicationGroupIds[site] };
/** The cache's group of `site` is the Global Datastore's primary; a stack without a Global Datastore passes. */
const cachePrimary = (site: Site): PhaseCheck => ({
    description: () => `${regionName(site)} cache (stack output cache.replicationGroupIds.${site}): the Global Datastore's primary, or detached from it (where the stack has one)`,
    run: async ({ outputs, clients }) => {
        const member = cacheMember(outputs, site);
        if (outputs.cache === undefined || member === undefined) return { name: `${regionName(site)} cache`, ok: true, detail: "no Global Datastore in this stack" };
        return checkCachePrimary(`${regionName(site)} cache`, outputs.cache.globalDatastoreId, member, clients);
    },
});
const drRecoveryPoint: PhaseCheck = {
    description: () => "DR vault (stack output backup.drVaultArn): newest completed recovery point younger than 26 h",
    run: ({ outputs, clients, now }) => checkDrRecoveryPoint(outputs.backup.drVaultArn, clients, now),
};
const databaseRole = (label: string, site: Site, role: "writer" | "replica"): PhaseCheck => ({
    description: () => `${label} (stack output database.${site}Arn): an available ${role}`,
    run: ({ outputs, clients }) => checkDatabaseRole(label, arnOf(outputs, site), role, clients),
});
const writerSite = (site: Site): PhaseCheck => ({
    description: () => `stack output database.writerSite is ${site}`,
    run: async ({ outputs }) => ({ name: "stack output database.writerSite", ok: outputs.database.writerSite === site, detail: outputs.database.writerSite }),
});

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
        cacheFailover: { to: "dr", when: "before-up" },
        preflight: [replicaLag("DR replica", "dr"), endpoint("dr"), drRecoveryPoint],
        verify: [writerSite("dr"), databaseRole("DR database", "dr", "writer"), cachePrimary("dr"), endpoint("dr"), serviceUrl],
    },
    rebuild: {
        name: "rebuild",
        title: "failback 1/2: rebuild the primary region's database as a replica of the DR writer",
        from: { "keel:dr.active": isTrue, "keel:dr.primaryDatabase": { expected: "not rebuilding", accepts: (value) => value !== "rebuilding" } },
        offlineStart: [["keel:dr.active", "true"]],
        config: [["keel:dr.primaryDatabase", "rebuilding"]],
        replace: "primary",
        previewFirst: true,
        preflight: [databaseRole("DR database", "dr", "writer"), drRecoveryPoint],
        verify: [databaseRole("rebuilt primary database", "primary", "replica")],
    },
    "switch-back": {
        name: "switch-back",
        title: "failback 2/2: promote the rebuilt primary database and serve from the primary region",
        from: { "keel:dr.active": isTrue, "keel:dr.primaryDatabase": { expected: "rebuilding", accepts: (value) => value === "rebuilding" } },
        offlineStart: [["keel:dr.active", "true"], ["keel:dr.primaryDatabase", "rebuilding"]],
        config: [["keel:dr.active", "false"], ["keel:dr.primaryDatabase", "rebuilt"]],
        replace: "dr",
        previewFirst: true,
        trafficSwitch: { value: 0, when: "after-up" },
        cacheFailover: { to: "primary", when: "after-up" },
        preflight: [replicaLag("rebuilt primary replica", "primary"), endpoint("primary")],
        verify: [writerSite("primary"), databaseRole("primary database", "primary", "writer"), cachePrimary("primary"), endpoint("primary"), serviceUrl],
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
    /** Apply without asking. */
    readonly yes: boolean;
    /** Asks a person to confirm (a terminal); false when nobody can answer. */
    readonly confirm: (question: string) => Promise<boolean>;
    /** The difference between the offline plans of two `--config` override lists (scripts/dr/plan-diff.ts). */
    readonly planDiff: (before: string[], after: string[]) => Promise<string>;
    /** Paths relative to the project, as `pulumi up --policy-pack ... --policy-pack-config ...` takes them. */
    readonly policyPack: string;
    readonly policyPackConfig: string;
    readonly clock: () => Date;
    readonly log: (line: string) => void;
}

export interface RunResult {
    readonly ok: boolean;
    /** Nobody confirmed (no `--yes`, no answer at a terminal): nothing changed. */
    readonly declined?: true;
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

/** The cache step of a phase, where the stack has a Global Datastore: returns what the timeline records, or undefined. */
async function moveCache(outputs: DrOutputs, phase: Phase, clients: Clients): Promise<string | undefined> {
    const to = phase.cacheFailover && cacheMember(outputs, phase.cacheFailover.to);
    if (outputs.cache === undefined || to === undefined) return undefined;
    return `cache: ${await failOverCache(outputs.cache.globalDatastoreId, to, clients)}`;
}

/**
 * Clears the edge's cache once traffic has moved ("Clear CDN cache"). Best effort: CloudFront's
 * API lives in us-east-1, which may be the region that is down, and a stale page is no reason to
 * stop a failover — the timeline says to run it again.
 */
async function clearEdgeCache(distributionId: string, phase: Phase, options: Pick<RunOptions, "clients" | "clock">): Promise<string> {
    try {
        return `edge cache: ${await invalidateEdgeCache(distributionId, `keel-dr-${phase.name}-${options.clock().toISOString()}`, options.clients)}`;
    } catch (error) {
        return `edge cache NOT cleared (${error instanceof Error ? error.message : String(error)}): run \`aws cloudfront create-invalidation --distribution-id ${distributionId} --paths '/*'\` once CloudFront's API answers`;
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
    for (const [key, { accepts }] of Object.entries(phase.from)) {
        const value = await options.stack.getConfig(key);
        configChecks.push({ name: `config ${key}`, ok: accepts(value), detail: value ?? "(unset)" });
    }
    const context = { outputs, clients: options.clients, rpoSeconds: options.rpoSeconds, now: options.clock() };
    const checks: Check[] = [];
    for (const check of phase.preflight) checks.push(await check.run(context));
    return { outputs, checks: [...configChecks, ...checks] };
}

/** What a phase does after its preflight, step by step, in words (printed before anyone confirms it, and by `--dry-run`). */
export function phaseSteps(phase: Phase, stack: Pick<DrStack, "name" | "project">, policyPackConfig: string): string[] {
    const traffic = phase.trafficSwitch === undefined
        ? undefined
        : `publish the traffic switch (stack output traffic.failoverSwitch) = ${phase.trafficSwitch.value}: ${phase.trafficSwitch.value === 1 ? "Route 53 serves from the DR region" : "Route 53 serves from the primary region again"}`;
    const cache = phase.cacheFailover === undefined
        ? undefined
        : `fail the cache's Global Datastore over to the ${regionName(phase.cacheFailover.to)} region's group (stack output cache.replicationGroupIds.${phase.cacheFailover.to}; where the stack has one): FailoverGlobalReplicationGroup, which the provider cannot make`;
    return [
        ...(phase.previewFirst ? ["pulumi preview (with the policy pack), shown before you confirm"] : []),
        ...(phase.trafficSwitch?.when === "before-up" && traffic ? [traffic] : []),
        ...(phase.cacheFailover?.when === "before-up" && cache ? [cache] : []),
        ...phase.config.map(([key, value]) => `pulumi config set --path ${key} ${value}`),
        ...(phase.replace ? [`pulumi state unprotect ${databaseUrn(stack, phase.replace)}`] : []),
        `pulumi up --policy-pack policies --policy-pack-config ${policyPackConfig}${phase.replace ? ` --replace ${databaseUrn(stack, phase.replace)}` : ""}`,
        ...(phase.cacheFailover?.when === "after-up" && cache ? [cache] : []),
        ...(phase.trafficSwitch?.when === "after-up" && traffic ? [traffic] : []),
        ...(phase.trafficSwitch ? ["clear the edge's cache (stack output traffic.edge.distributionId; where the stack has one): CloudFront invalidation of /*, best effort — its API is in us-east-1"] : []),
        ...phase.verify.map((check) => `verify: ${check.description(0)}`),
    ];
}

function describeChecks(phase: Phase, rpoSeconds: number): string[] {
    return [
        ...Object.entries(phase.from).map(([key, { expected }]) => `config ${key} is ${expected}`),
        ...phase.preflight.map((check) => check.description(rpoSeconds)),
    ];
}

async function describeChange(phase: Phase, planDiff: RunOptions["planDiff"], log: RunOptions["log"]): Promise<void> {
    const { before, after } = phaseOverrides(phase);
    log(`\nwhat changes (offline plans: ${before.length > 0 ? before.join(", ") : "the current configuration"} → ${after.join(", ")}):`);
    log(await planDiff(before, after));
    if (phase.replace) log(`  and the ${phase.replace} database is replaced (--replace; not visible offline)`);
}

/**
 * `--dry-run`, offline: no Pulumi CLI, no AWS credentials. Prints the checks the phase would
 * make, its steps, and the difference between the offline plans before and after it.
 */
export async function dryRunPhase(phase: Phase, options: Pick<RunOptions, "rpoSeconds" | "planDiff" | "log" | "policyPackConfig"> & { readonly stack: Pick<DrStack, "name" | "project"> }): Promise<void> {
    const { log } = options;
    log(`dry run: ${phase.title} (stack ${options.stack.name}); offline: nothing is read from AWS or Pulumi, and nothing changes`);
    log(["\npreflight it would check (and refuse on any failure):", ...describeChecks(phase, options.rpoSeconds).map((line) => `  - ${line}`)].join("\n"));
    log(["\nthen, once confirmed:", ...phaseSteps(phase, options.stack, options.policyPackConfig).map((line, i) => `  ${i + 1}. ${line}`)].join("\n"));
    await describeChange(phase, options.planDiff, log);
}

const notConfirmed = (phase: Phase) => `\nNothing changed. To ${phase.title}, re-run with --yes, or run it in a terminal and confirm.`;

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
    await describeChange(phase, options.planDiff, log);
    if (phase.previewFirst) {
        const preview = await stack.preview(deploy);
        const summary = Object.entries(preview.changeSummary).map(([op, n]) => `${op} ${n}`).join(", ");
        timeline.mark(`previewed: ${summary}`);
        log(`\npulumi preview: ${summary}`);
    }
    log(["\nsteps:", ...phaseSteps(phase, stack, options.policyPackConfig).filter((step) => !step.startsWith("pulumi preview")).map((line, i) => `  ${i + 1}. ${line}`)].join("\n"));
    if (!options.yes && !(await options.confirm(`Type the stack's name (${stack.name}) to ${phase.title}, anything else to stop: `))) {
        timeline.mark("not confirmed: nothing changed");
        log(notConfirmed(phase));
        return { ok: false, declined: true, timeline: timeline.render(false) };
    }
    timeline.mark(options.yes ? "confirmed by --yes" : "confirmed at the terminal");
    if (phase.trafficSwitch?.when === "before-up") {
        await publishSwitch(outputs, phase.trafficSwitch.value, options.clients);
        timeline.mark(`traffic switch ${outputs.traffic.failoverSwitch.metricName}=${phase.trafficSwitch.value} published`);
    }
    if (phase.cacheFailover?.when === "before-up") {
        const moved = await moveCache(outputs, phase, options.clients);
        if (moved !== undefined) timeline.mark(moved);
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
    if (phase.cacheFailover?.when === "after-up") {
        const moved = await moveCache(after, phase, options.clients);
        if (moved !== undefined) timeline.mark(moved);
    }
    if (phase.trafficSwitch?.when === "after-up") {
        await publishSwitch(after, phase.trafficSwitch.value, options.clients);
        timeline.mark(`traffic switch ${after.traffic.failoverSwitch.metricName}=${phase.trafficSwitch.value} published`);
    }
    if (phase.trafficSwitch && after.traffic.edge !== undefined) timeline.mark(await clearEdgeCache(after.traffic.edge.distributionId, phase, options));
    const context = { outputs: after, clients: options.clients, rpoSeconds: options.rpoSeconds, now: options.clock() };
    const verification: Check[] = [];
    for (const check of phase.verify) verification.push(await check.run(context));
    log(renderChecks("verify", verification));
    const verified = verification.every((c) => c.ok);
    timeline.mark(verified ? "verified" : `verification failed: ${verification.filter((c) => !c.ok).map((c) => c.name).join("; ")}`);
    return { ok: verified, timeline: timeline.render(verified) };
}
