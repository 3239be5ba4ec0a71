import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as runtimeSettings from "@pulumi/pulumi/runtime/settings";
import { mockInvoke, mockResource } from "./mocks";
import { plainValue, providerUrn, wireSecret, type PlanResource } from "./record";

/**
 * Runs a Pulumi program in-process under the SDK's mock runtime and records every resource
 * it registers, with the options the engine would see (parent, provider, protect,
 * retainOnDelete, dependencies) — the offline stand-in for `pulumi preview`.
 */

export interface PlanOptions {
    readonly project: string;
    readonly stack: string;
    /** Pulumi's flat config map (`{"keel:database": "{...}", "aws:region": "us-east-1"}`). */
    readonly config: Readonly<Record<string, string>>;
    /** Config keys whose values are secret. */
    readonly secretKeys?: readonly string[];
    /**
     * Keep the stack traces of errors raised while the program runs (default false: an error
     * carries its message only). The SDK captures a stack trace for every promise it makes (for
     * its leaked-promise report) and nothing under the mock runtime reads them; capturing them
     * costs about a third of a production plan.
     */
    readonly stackTraces?: boolean;
}

export interface PlanRecord {
    readonly resources: PlanResource[];
    readonly outputs: Record<string, unknown>;
}

interface Registration {
    urn: string;
    type: string;
    name: string;
    parent: string | null;
    provider: string | null;
    custom: boolean;
    inputs: Record<string, unknown>;
    protect: boolean;
    retainOnDelete: boolean;
    dependencies: string[];
}

/** The subset of the SDK's RegisterResourceRequest the recorder reads. */
interface RegisterResourceRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): { toJavaScript(): Record<string, unknown> } | undefined;
    getProtect(): boolean | undefined;
    getRetainondelete(): boolean | undefined;
    getDependenciesList(): string[];
    getProvider(): string;
    getAdditionalsecretoutputsList(): string[];
}

type Callback = (err: unknown, response: unknown) => void;

const stackType = "pulumi:pulumi:Stack";

/**
 * Pulumi's URN scheme: the parent's qualified type chain, `$`-joined, before the resource's
 * own type; the root stack is left out of the chain (the mock monitor's own scheme keeps
 * only the immediate parent, so the recorder overrides it to match real URNs).
 */
function urnOf(stack: string, project: string, parent: string, type: string, name: string): string {
    const parentType = parent ? parent.split("::")[2] : undefined;
    const qualifiedType = parentType === undefined || parentType === stackType ? type : `${parentType}$${type}`;
    return `urn:pulumi:${stack}::${project}::${qualifiedType}::${name}`;
}

class PlanRecorder {
    private readonly registrations: Registration[] = [];
    private stackOutputs: Record<string, unknown> = {};
    private readonly additionalSecretOutputs = new Map<string, string[]>();

    constructor(private readonly options: PlanOptions) {}

    private get defaultRegion(): string {
        return this.options.config["aws:region"] ?? "us-east-1";
    }

    register(req: RegisterResourceRequest): void {
        const parent = req.getParent();
        this.additionalSecretOutputs.set(`${req.getType()}::${req.getName()}`, req.getAdditionalsecretoutputsList());
        this.registrations.push({
            urn: urnOf(this.options.stack, this.options.project, parent, req.getType(), req.getName()),
            type: req.getType(),
            name: req.getName(),
            parent: parent || null,
            provider: providerUrn(req.getProvider()),
            custom: req.getCustom(),
            inputs: plainValue(req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
            protect: req.getProtect() === true,
            retainOnDelete: req.getRetainondelete() === true,
            dependencies: [...new Set(req.getDependenciesList())],
        });
    }

    /** Outputs the resource asked the engine to keep secret (the SDK's per-type declarations). */
    secretOutputs(type: string, name: string): string[] {
        return this.additionalSecretOutputs.get(`${type}::${name}`) ?? [];
    }

    recordOutputs(urn: string, outputs: Record<string, unknown> | undefined): void {
        if (urn.split("::")[2] === stackType) this.stackOutputs = plainValue(outputs ?? {}) as Record<string, unknown>;
    }

    /** An AWS resource's region: its own `region` input (provider v7), else its provider's. */
    regionOf(inputs: Record<string, unknown>, providerReference: string | null): string {
        if (typeof inputs.region === "string") return inputs.region;
        const provider = providerReference !== null ? this.registrations.find((r) => r.urn === providerReference) : undefined;
        const providerRegion = provider ? provider.inputs.region : undefined;
        return typeof providerRegion === "string" ? providerRegion : this.defaultRegion;
    }

    /**
     * The engine's default providers, which the mock runtime never registers: one per package
     * whose custom resources name no provider, configured from that package's config keys
     * (`aws:region`, ...), so policies see them as they would under `pulumi preview`.
     */
    private defaultProviders(stackUrn: string | undefined): Registration[] {
        const packages = new Set(
            this.registrations.filter((r) => r.custom && r.provider === null && !r.type.startsWith("pulumi:providers:")).map((r) => r.type.split(":")[0]),
        );
        return [...packages].map((pkg) => {
            const inputs = Object.fromEntries(
                Object.entries(this.options.config)
                    .filter(([key]) => key.startsWith(`${pkg}:`))
                    .map(([key, value]) => [key.slice(pkg.length + 1), value]),
            );
            const urn = `urn:pulumi:${this.options.stack}::${this.options.project}::pulumi:providers:${pkg}::default`;
            return { urn, type: `pulumi:providers:${pkg}`, name: "default", parent: stackUrn ?? null, provider: null, custom: true, inputs, protect: false, retainOnDelete: false, dependencies: [] };
        });
    }

    record(): PlanRecord {
        const [stack, ...rest] = this.registrations;
        const defaults = this.defaultProviders(stack?.urn);
        const providerOf = (r: Registration) =>
            r.provider ?? defaults.find((d) => r.custom && d.type === `pulumi:providers:${r.type.split(":")[0]}`)?.urn ?? null;
        const resources = [...(stack ? [stack] : []), ...defaults, ...rest].map((r): PlanResource => {
            const provider = providerOf(r);
            const isAws = r.type.startsWith("aws:") || r.type === "pulumi:providers:aws";
            return { ...r, provider, region: isAws ? this.regionOf(r.inputs, provider) : null };
        });
        return { resources, outputs: this.stackOutputs };
    }
}

class RecordingMonitor extends MockMonitor {
    constructor(private readonly recorder: PlanRecorder) {
        super({
            newResource: (args) => {
                const inputs = args.inputs as Record<string, unknown>;
                const region = recorder.regionOf(inputs, args.provider ? providerUrn(args.provider) : null);
                const { id, state } = mockResource({ type: args.type, name: args.name, inputs, region });
                // The engine, not the SDK, turns `additionalSecretOutputs` (RandomPassword.result,
                // for one) into secrets; the mock monitor does not, so the recorder does.
                for (const key of recorder.secretOutputs(args.type, args.name)) {
                    if (key in state) state[key] = wireSecret(state[key]);
                }
                return { id, state };
            },
            call: (args) =>
                mockInvoke(args.token, args.inputs as Record<string, unknown>, recorder.regionOf(args.inputs as Record<string, unknown>, args.provider ? providerUrn(args.provider) : null)),
        });
        // MockMonitor names every registration and read through its private newUrn, which keeps
        // only the immediate parent's type; give the program the URNs Pulumi itself would.
        Object.assign(this, {
            newUrn: (parent: string, type: string, name: string) => urnOf(pulumi.getStack(), pulumi.getProject(), parent, type, name),
        });
    }

    override async registerResource(req: RegisterResourceRequest, callback: Callback): Promise<void> {
        this.recorder.register(req);
        return super.registerResource(req, callback);
    }

    override registerResourceOutputs(req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined }, callback: Callback): void {
        this.recorder.recordOutputs(req.getUrn(), req.getOutputs()?.toJavaScript());
        super.registerResourceOutputs(req, callback);
    }

    /** The features `pulumi.runtime.setMocks` enables: everything but output values and transforms. */
    override supportsFeature(req: { getId(): string }, callback: Callback): void {
        const unsupported = ["outputValues", "transforms", "invokeTransforms"];
        callback(null, { getHassupport: () => !unsupported.includes(req.getId()) });
    }
}

/** Internal SDK hooks this engine relies on; both exist since Pulumi 3.x mocks were introduced. */
const sdkInternals = runtimeSettings as unknown as { awaitFeatureSupport(): Promise<void>; waitForRPCs(): Promise<void> };

/**
 * Plans `program` as the stack `options.stack` would run it: configures the runtime, runs the
 * program inside a root Stack resource and resolves once every registration has been recorded.
 * The Pulumi runtime is process-global, so plans in one process run one after another.
 */
export function planProgram(program: () => Promise<Record<string, unknown> | void>, options: PlanOptions): Promise<PlanRecord> {
    const plan = planQueue.then(() => planAlone(program, options));
    planQueue = plan.catch(() => undefined);
    return plan;
}

let planQueue: Promise<unknown> = Promise.resolve();

async function planAlone(program: () => Promise<Record<string, unknown> | void>, options: PlanOptions): Promise<PlanRecord> {
    const failures: unknown[] = [];
    const onRejection = (reason: unknown) => failures.push(reason);
    process.on("unhandledRejection", onRejection);
    const stackTraceLimit = Error.stackTraceLimit;
    // Resource source positions stay: the SDK lifts the limit while it takes them.
    if (options.stackTraces !== true) Error.stackTraceLimit = 0;
    try {
        pulumi.runtime.setAllConfig({ ...options.config }, [...(options.secretKeys ?? [])]);
        const recorder = new PlanRecorder(options);
        pulumi.runtime.setMockOptions(new RecordingMonitor(recorder), options.project, options.stack, false);
        await sdkInternals.awaitFeatureSupport();
        await pulumi.runtime.runInPulumiStack(async () => (await program()) ?? {});
        await sdkInternals.waitForRPCs();
        if (failures.length > 0) throw failures[0];
        return recorder.record();
    } catch (error) {
        // Outputs derived from the failure reject on later turns; keep listening until they
        // have, so the plan fails once with the first error instead of a trail of rejections.
        await sdkInternals.waitForRPCs().catch(() => undefined);
        await new Promise((settled) => setTimeout(settled, 20));
        throw error;
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
        process.off("unhandledRejection", onRejection);
    }
}
