import { describe } from "node:test";
import type { Policies } from "@pulumi/policy";
import { alertingPolicies } from "../policies/rules/alerting";
import { cachePolicies } from "../policies/rules/cache";
import { networkPolicies } from "../policies/rules/network";
import { protectStatefulResources } from "../policies/rules/protection";
import { secretPolicies } from "../policies/rules/secrets";
import type { PlanResource } from "../offline-plan/record";
import { added, inputs, named, redTeam, remove, type Attack } from "./red-team";

/** Bad changes to the cache: each must be refused by the policy it names. */

const policies: Policies = [...cachePolicies, ...alertingPolicies, ...networkPolicies, ...secretPolicies, protectStatefulResources];
const group = (rs: PlanResource[], site: "primary" | "dr") => named(rs, "ReplicationGroup", `cache-${site}`);
const set = (site: "primary" | "dr", changes: Record<string, unknown>) => (rs: PlanResource[]) => { Object.assign(inputs(group(rs, site)), changes); };

const everywhere = (site: "primary" | "dr"): Attack[] => [
    ["no encryption at rest", "keel-elasticache-encryption", set(site, { atRestEncryptionEnabled: false, globalReplicationGroupId: undefined })],
    ["TLS turned off", "keel-elasticache-encryption", set(site, { transitEncryptionEnabled: false, globalReplicationGroupId: undefined })],
    ["plain text accepted beside TLS (transit mode preferred)", "keel-elasticache-encryption", set(site, { transitEncryptionMode: "preferred", globalReplicationGroupId: undefined })],
    ["the AWS-managed key", "keel-elasticache-encryption", set(site, { kmsKeyId: "alias/aws/elasticache" })],
    ["no KMS key at all", "keel-elasticache-encryption", set(site, { kmsKeyId: undefined })],
    ["AUTH removed", "keel-elasticache-encryption", set(site, { authToken: undefined })],
    ["a literal AUTH token", "keel-no-plaintext-secrets", set(site, { authToken: "hunter2hunter2hunter2" })],
    ["snapshots turned off", "keel-elasticache-resilience", set(site, { snapshotRetentionLimit: 0 })],
    ["no final snapshot", "keel-elasticache-resilience", set(site, { finalSnapshotIdentifier: undefined })],
    ["automatic failover off", "keel-elasticache-resilience", set(site, { automaticFailoverEnabled: false, multiAzEnabled: false })],
    ["one node", "keel-elasticache-resilience", set(site, { numCacheClusters: 1 })],
    ["unprotected", "keel-protect-stateful-resources", (rs) => { Object.assign(group(rs, site), { protect: false }); }],
];

const production: Attack[] = [
    ...everywhere("primary"),
    ...everywhere("dr"),
    ["a key of the other region for the DR secondary", "keel-elasticache-encryption", set("dr", { kmsKeyId: "arn:aws:kms:us-east-1:123456789012:key/0b0e1d2c-3f4a-4b5c-8d6e-7f8091a2b3c4" })],
    ["the Global Datastore removed", "keel-elasticache-dr-copy", (rs) => remove(rs, (r) => r.type === "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup")],
    ["the DR secondary removed", "keel-elasticache-dr-copy", (rs) => remove(rs, (r) => r.type === "aws:elasticache/replicationGroup:ReplicationGroup" && r.name === "cache-dr")],
    ["the secondary's lag alarm removed", "keel-replica-lag-alarm", (rs) => remove(rs, (r) => r.name === "cache-dr-global-replication-lag")],
    ["the secondary's lag alarm at an hour, beyond the RPO", "keel-replica-lag-alarm", (rs) => { inputs(named(rs, "MetricAlarm", "cache-dr-global-replication-lag")).threshold = 3600; }],
    ["the secondary's lag alarm silent when the secondary stops reporting", "keel-replica-lag-alarm", (rs) => { inputs(named(rs, "MetricAlarm", "cache-dr-global-replication-lag")).treatMissingData = "notBreaching"; }],
    ["the secondary's lag alarm with actions off", "keel-replica-lag-alarm", (rs) => { inputs(named(rs, "MetricAlarm", "cache-dr-global-replication-lag")).actionsEnabled = false; }],
    ["the secondary's lag alarm on the average of a node and a constant", "keel-replica-lag-alarm", (rs) => {
        const queries = inputs(named(rs, "MetricAlarm", "cache-dr-global-replication-lag")).metricQueries as Record<string, unknown>[];
        queries[queries.length - 1].expression = "AVG([node1, 0])";
    }],
    ["the cache open to the internet", "keel-sg-no-internet-ingress", (rs) => {
        const like = named(rs, "SecurityGroupIngressRule", "cache-primary-client-0");
        rs.push(added(like, like.type, "cache-primary-anywhere", { ...inputs(like), referencedSecurityGroupId: undefined, cidrIpv4: "0.0.0.0/0" }));
    }],
    ["the cache's nodes in public subnets", "keel-compute-private-subnets", (rs) => { inputs(named(rs, "SubnetGroup", "cache-primary")).subnetIds = inputs(named(rs, "LoadBalancer", "app-alb")).subnets; }],
    ["a stand-alone Memcached cluster beside it", "keel-elasticache-encryption", (rs) => {
        const like = group(rs, "primary");
        rs.push(added(like, "aws:elasticache/cluster:Cluster", "sessions", { engine: "memcached", nodeType: "cache.t4g.micro", numCacheNodes: 1 }));
    }],
];

describe("red team: the cache in the production plan", () => redTeam("the clean production plan passes", policies, "production", [], production));
describe("red team: the cache in production's DR mode", () => redTeam("the clean DR-mode plan passes", policies, "production", ["keel:dr.active=true"], [
    ["the lag alarm on the primary region's group (the secondary now) removed", "keel-replica-lag-alarm", (rs) => remove(rs, (r) => r.name === "cache-primary-global-replication-lag")],
]));
describe("red team: the cache in the staging plan", () => redTeam("the clean staging plan passes", policies, "staging", [], [
    ["AUTH removed", "keel-elasticache-encryption", set("primary", { authToken: undefined })],
    ["snapshots kept a day", "keel-elasticache-resilience", set("primary", { snapshotRetentionLimit: 1 })],
    ["no final snapshot", "keel-elasticache-resilience", set("primary", { finalSnapshotIdentifier: "" })],
]));
