import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { EnforcementLevel, Policies, Policy } from "@pulumi/policy";
import type { PolicyConfigJSONSchema, PolicyConfigJSONSchemaDefinition, PolicyConfigJSONSchemaTypeName } from "@pulumi/policy/schema";
import { parse } from "yaml";
import { keelPolicies } from "./rules";
import { alertingPolicies } from "./rules/alerting";
import { backupPolicies } from "./rules/backup";
import { computePolicies } from "./rules/compute";
import { databasePolicies } from "./rules/database";
import { edgePolicies } from "./rules/edge";
import { identityPolicies } from "./rules/identity";
import { kubernetesPolicies } from "./rules/kubernetes";
import { monitoringPolicies } from "./rules/monitoring";
import { networkPolicies } from "./rules/network";
import { resourcePolicyPolicies } from "./rules/resource-policies";
import { secretPolicies } from "./rules/secrets";
import { costPolicies } from "./rules/cost";
import { storagePolicies } from "./rules/storage";
import { workloadPolicies } from "./rules/workloads";

/** Settings that are absent unless someone sets them on purpose (a freeze override, a rehearsal clock, an objective for backups). */
const optionalSettings: Record<string, readonly string[]> = {
    "keel-change-freeze": ["override", "asOf"],
    "keel-change-freeze-override": ["override", "asOf"],
    "keel-change-window": ["override", "asOf"],
    "keel-change-window-override": ["override", "asOf"],
    "keel-dr-readiness": ["backupsRpoMinutes"],
};

/**
 * The pack as the Pulumi CLI loads it (`--policy-pack policies`): PulumiPolicy.yaml, the
 * package, the policies it serves and the per-stack `--policy-pack-config` files. The
 * PolicyPack itself is not constructed: it starts a gRPC server and waits for the engine.
 */

const packDir = __dirname;
const enforcementLevels: readonly EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];
/** @pulumi/policy's server.js `packNameRE`, and the one reserved policy name. */
const nameRE = /^[a-zA-Z0-9-_.]{1,100}$/;
/** semver.org's version grammar. */
const semverRE = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

function typeOf(value: unknown): PolicyConfigJSONSchemaTypeName {
    if (value === null) return "null";
    if (Array.isArray(value)) return "array";
    if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
    if (typeof value === "string" || typeof value === "boolean") return typeof value as "string" | "boolean";
    return "object";
}

/** The JSON-schema keywords the pack's schemas use: type, enum, const, items, properties, required. */
function schemaErrors(value: unknown, schema: PolicyConfigJSONSchemaDefinition, at: string): string[] {
    if (schema === true) return [];
    if (schema === false) return [`${at}: no value is allowed`];
    const errors: string[] = [];
    if (schema.type !== undefined) {
        const allowed = [schema.type].flat();
        const actual = typeOf(value);
        if (!allowed.includes(actual) && !(actual === "integer" && allowed.includes("number"))) errors.push(`${at}: ${JSON.stringify(value)} is ${actual}, not ${allowed.join(" or ")}`);
    }
    if (schema.enum !== undefined && !schema.enum.some((option: unknown) => JSON.stringify(option) === JSON.stringify(value))) errors.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
    if (schema.const !== undefined && JSON.stringify(schema.const) !== JSON.stringify(value)) errors.push(`${at}: ${JSON.stringify(value)} is not ${JSON.stringify(schema.const)}`);
    if (Array.isArray(value) && schema.items !== undefined && !Array.isArray(schema.items)) {
        const items = schema.items;
        value.forEach((item, i) => errors.push(...schemaErrors(item, items, `${at}[${i}]`)));
    }
    if (isRecord(value)) {
        for (const [key, property] of Object.entries(schema.properties ?? {})) {
            if (key in value) errors.push(...schemaErrors(value[key], property, `${at}.${key}`));
        }
        for (const key of schema.required ?? []) if (!(key in value)) errors.push(`${at}: ${key} is required`);
    }
    return errors;
}

describe("schemaErrors (the test's own validator)", () => {
    it("catches type, item, enum and required mismatches", () => {
        const schema: PolicyConfigJSONSchema = { type: "object", properties: { a: { type: "array", items: { type: "string" } }, b: { enum: ["x"] } }, required: ["c"] };
        assert.deepEqual(schemaErrors({ a: ["ok", 1], b: "y" }, schema, "v"), ["v.a[1]: 1 is integer, not string", 'v.b: "y" is not one of ["x"]', "v: c is required"]);
        assert.deepEqual(schemaErrors(true, { type: "boolean" }, "v"), []);
        assert.deepEqual(schemaErrors(2, { type: "number" }, "v"), []);
        assert.deepEqual(schemaErrors("us-east-1", { type: "array" }, "v"), ['v: "us-east-1" is string, not array']);
    });
});

describe("PulumiPolicy.yaml", () => {
    const manifest: unknown = parse(readFileSync(join(packDir, "PulumiPolicy.yaml"), "utf8"));
    const runtime = isRecord(manifest) ? manifest.runtime : undefined;

    it("parses to a mapping with a description", () => {
        assert.ok(isRecord(manifest));
        assert.equal(typeof manifest.description, "string");
        assert.notEqual(manifest.description, "");
    });

    it("runs on the nodejs runtime", () => {
        assert.equal(isRecord(runtime) ? runtime.name : runtime, "nodejs");
    });

    it("loads a TypeScript main through a loader the package depends on when the runtime's TypeScript support is off", () => {
        const options = isRecord(runtime) && isRecord(runtime.options) ? runtime.options : {};
        const packageJson: unknown = JSON.parse(readFileSync(join(packDir, "package.json"), "utf8"));
        assert.ok(isRecord(packageJson));
        if (options.typescript === false && String(packageJson.main).endsWith(".ts")) {
            assert.match(String(options.nodeargs), /--(import|require) tsx\b/);
            assert.ok(isRecord(packageJson.dependencies) && typeof packageJson.dependencies.tsx === "string", "policies/package.json must depend on tsx");
        }
    });
});

describe("policies/package.json", () => {
    const packageJson: unknown = JSON.parse(readFileSync(join(packDir, "package.json"), "utf8"));
    assert.ok(isRecord(packageJson));
    const dependencies = isRecord(packageJson.dependencies) ? packageJson.dependencies : {};

    it("has a name and a semver version (PolicyPack reads the version from it)", () => {
        assert.equal(typeof packageJson.name, "string");
        assert.notEqual(packageJson.name, "");
        assert.match(String(packageJson.version), semverRE);
    });

    it("points main at an existing file", () => {
        assert.equal(typeof packageJson.main, "string");
        assert.ok(existsSync(join(packDir, String(packageJson.main))), `${String(packageJson.main)} does not exist in policies/`);
    });

    it("depends on @pulumi/policy and @pulumi/pulumi", () => {
        assert.equal(typeof dependencies["@pulumi/policy"], "string");
        assert.equal(typeof dependencies["@pulumi/pulumi"], "string");
    });

    it("has a main that serves keelPolicies in a validly named PolicyPack", () => {
        const source = readFileSync(join(packDir, String(packageJson.main)), "utf8");
        const pack = /new PolicyPack\(\s*"([^"]*)"\s*,\s*\{[\s\S]*?policies:\s*keelPolicies\b/.exec(source);
        assert.ok(pack, "main must construct new PolicyPack(name, { policies: keelPolicies })");
        assert.match(pack[1]!, nameRE);
    });
});

describe("keelPolicies", () => {
    it("contains every policy the rule modules define", async () => {
        const rulesDirectory = join(__dirname, "rules");
        const defined: string[] = [];
        for (const file of readdirSync(rulesDirectory).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
            const module = (await import(join(rulesDirectory, file))) as Record<string, unknown>;
            for (const value of Object.values(module)) {
                const candidate = value as { name?: unknown; validateResource?: unknown; validateStack?: unknown } | null;
                if (typeof candidate?.name === "string" && (candidate.validateResource !== undefined || candidate.validateStack !== undefined)) defined.push(candidate.name);
            }
        }
        assert.ok(defined.length >= 15, `found only ${defined.length} policies`);
        assert.deepEqual([...new Set(defined)].sort(), keelPolicies.map((p) => p.name).sort());
    });

    it("has unique names", () => {
        const names = keelPolicies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
    });

    for (const policy of keelPolicies) {
        describe(policy.name, () => {
            it("has a valid name prefixed keel- (not the reserved all)", () => {
                assert.match(policy.name, /^keel-[a-z0-9-]+$/);
                assert.match(policy.name, nameRE);
                assert.notEqual(policy.name, "all");
            });

            it("has a description and an enforcement level", () => {
                assert.ok(policy.description.length >= 20, `description too short: ${policy.description}`);
                assert.ok(policy.enforcementLevel !== undefined && enforcementLevels.includes(policy.enforcementLevel), `enforcementLevel ${String(policy.enforcementLevel)}`);
                assert.notEqual(policy.enforcementLevel, "disabled");
            });

            it("validates resources or the stack", () => {
                assert.ok(("validateResource" in policy && policy.validateResource !== undefined) || ("validateStack" in policy && typeof policy.validateStack === "function"));
            });

            it("has config schema defaults valid for their declared types", () => {
                const properties = Object.entries(policy.configSchema?.properties ?? {});
                assert.ok(properties.length > 0, "every Keel policy is configurable");
                const optional = optionalSettings[policy.name] ?? [];
                for (const [key, schema] of properties) {
                    assert.ok(typeof schema === "object", `${key}: schema must be an object`);
                    assert.ok(schema.type !== undefined, `${key}: declares no type`);
                    if (optional.includes(key)) {
                        assert.equal(schema.default, undefined, `${key}: an optional setting has no default`);
                        continue;
                    }
                    assert.ok(schema.default !== undefined, `${key}: has no default`);
                    assert.deepEqual(schemaErrors(schema.default, schema, `${policy.name}.${key}`), []);
                }
            });

            it("does not declare enforcementLevel as a setting (the CLI refuses it)", () => {
                assert.equal(policy.configSchema?.properties.enforcementLevel, undefined);
                assert.ok(!(policy.configSchema?.required ?? []).includes("enforcementLevel"));
            });
        });
    }
});

/** Each rule module's list of policies, by name in the module's order: the lists keelPolicies spreads. */
const moduleLists: readonly (readonly [module: string, policies: Policies, names: readonly string[]])[] = [
    ["network", networkPolicies, ["keel-sg-no-internet-ingress", "keel-default-sg-closed", "keel-vpc-flow-logs", "keel-compute-private-subnets"]],
    ["storage", storagePolicies, ["keel-s3-kms-encryption", "keel-s3-public-access-block", "keel-s3-versioning", "keel-s3-acls-disabled", "keel-s3-tls-only", "keel-s3-lifecycle", "keel-s3-access-logging", "keel-s3-replication", "keel-s3-object-lock", "keel-backup-bucket-retention", "keel-customer-managed-keys"]],
    ["backup", backupPolicies, ["keel-database-dumps", "keel-backup-plan-retention", "keel-backup-cross-region-copy", "keel-backup-vault-lock", "keel-database-backup-selection"]],
    ["database", databasePolicies, ["keel-rds-encryption", "keel-rds-not-public", "keel-rds-backup-retention", "keel-rds-deletion-protection", "keel-rds-multi-az", "keel-rds-iam-authentication", "keel-rds-performance-insights", "keel-rds-cross-region", "keel-rds-final-snapshot", "keel-rds-auto-minor-version-upgrade", "keel-rds-copy-tags-to-snapshot", "keel-rds-force-ssl"]],
    ["compute", computePolicies, ["keel-ec2-imdsv2", "keel-ec2-encrypted-volumes", "keel-ec2-no-public-ip", "keel-asg-minimum-capacity", "keel-asg-elb-health-checks", "keel-asg-scaling-policy", "keel-ec2-user-data-secrets"]],
    ["edge", edgePolicies, ["keel-alb-https-only", "keel-alb-hardening", "keel-route53-failover", "keel-route53-failover-health"]],
    ["kubernetes", kubernetesPolicies, ["keel-k8s-requests-and-limits", "keel-k8s-pinned-images", "keel-helm-pinned-charts", "keel-k8s-hpa-bounds", "keel-k8s-disruption-budgets", "keel-eks-endpoint-access", "keel-eks-secrets-encryption", "keel-eks-control-plane-logs", "keel-eks-node-ssh"]],
    ["workloads", workloadPolicies, ["keel-k8s-pod-security", "keel-k8s-rbac", "keel-k8s-secret-values", "keel-k8s-internal-services", "keel-k8s-encrypted-storage", "keel-grafana-no-anonymous-access"]],
    ["monitoring", monitoringPolicies, ["keel-critical-alerts-page", "keel-alertmanager-inhibition", "keel-prometheus-alert-rules", "keel-prometheus-retention", "keel-grafana-admin-secret"]],
    ["alerting", alertingPolicies, ["keel-alarm-actions", "keel-replica-lag-alarm"]],
    ["identity", identityPolicies, ["keel-kms-key-rotation", "keel-iam-no-wildcard-admin", "keel-iam-no-privilege-escalation", "keel-iam-no-long-term-credentials"]],
    ["resource-policies", resourcePolicyPolicies, ["keel-resource-policy-no-public", "keel-resource-policy-accounts", "keel-resource-policy-service-grants", "keel-irsa-trust-scoped"]],
    ["secrets", secretPolicies, ["keel-no-plaintext-secrets"]],
    ["cost", costPolicies, ["keel-cost-alerts"]],
];

describe("the rule modules' lists", () => {
    for (const [module, policies, names] of moduleLists) {
        it(`policies/rules/${module}.ts exports its policies in order, each mandatory, each with a configSchema`, () => {
            assert.deepEqual(
                policies.map((p) => [p.name, p.enforcementLevel, Object.keys(p.configSchema?.properties ?? {}).length > 0]),
                names.map((name) => [name, "mandatory", true]),
            );
        });
    }
});

describe("policies/config/*.json", () => {
    const configDir = join(packDir, "config");
    const files = readdirSync(configDir).filter((f) => f.endsWith(".json"));
    const byName = new Map<string, Policy>(keelPolicies.map((p) => [p.name, p]));

    it("has a config for every stack of the project", () => {
        const stacks = readdirSync(join(packDir, "..")).flatMap((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1] ?? []);
        assert.ok(stacks.length > 0);
        assert.deepEqual(
            stacks.filter((stack) => !files.includes(`${stack}.json`)),
            [],
        );
    });

    for (const file of files) {
        it(`${file} names only existing policies, valid levels and declared, well-typed settings`, () => {
            const config: unknown = JSON.parse(readFileSync(join(configDir, file), "utf8"));
            assert.ok(isRecord(config), `${file} must hold an object`);
            for (const [name, given] of Object.entries(config)) {
                const policy = byName.get(name);
                assert.ok(policy, `${file}: no policy named ${name}`);
                if (typeof given === "string") {
                    assert.ok(enforcementLevels.includes(given as EnforcementLevel), `${file}: ${name}: unknown level ${given}`);
                    continue;
                }
                assert.ok(isRecord(given), `${file}: ${name} must be a level or an object`);
                const { enforcementLevel, ...settings } = given;
                if (enforcementLevel !== undefined) assert.ok(enforcementLevels.includes(enforcementLevel as EnforcementLevel), `${file}: ${name}: unknown level ${String(enforcementLevel)}`);
                const properties = policy.configSchema?.properties ?? {};
                for (const [key, value] of Object.entries(settings)) {
                    const schema = properties[key];
                    assert.ok(schema !== undefined, `${file}: ${name} has no setting ${key}`);
                    assert.deepEqual(schemaErrors(value, schema, `${file}: ${name}.${key}`), []);
                }
                assert.deepEqual(schemaErrors({ ...settings }, { required: policy.configSchema?.required ?? [] }, `${file}: ${name}`), []);
            }
        });
    }
});

describe("the README's policy table", () => {
    it("lists every policy of the pack, with its level and what it refuses, in the pack's order", () => {
        const readme = readFileSync(join(packDir, "../README.md"), "utf8").split("\n");
        const start = readme.findIndex((line) => line.startsWith("| policy | level | checks |"));
        const rows = readme.slice(start + 2).filter((_, i, all) => all.slice(0, i + 1).every((line) => line.startsWith("|")));
        const expected = keelPolicies.map((p) => `| \`${p.name}\` | ${p.enforcementLevel ?? "advisory"} | ${(p.description ?? "").replace(/\|/g, "\\|")} |`);
        assert.deepEqual(rows, expected);
    });
});
