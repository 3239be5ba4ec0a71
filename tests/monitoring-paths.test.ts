import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import type { PlanRecord } from "../offline-plan/engine";
import type { PlanResource } from "../offline-plan/record";
import { postgresExporterImage } from "../components/monitoring/postgres-exporter";
import { list, mockOf, object, ofType, only, plannedDumpJob, plannedScrapeJobs, planStack, text } from "./plans";
import { parse } from "yaml";
import { Reachability, type Endpoint } from "./reachability";

/**
 * Prometheus runs on the monitoring cluster's nodes: every target it is configured to scrape
 * must be something the plan deploys, and the network must carry the scrape there and back —
 * security groups, routes and (for the DR region) the peering, followed resource by resource.
 */

interface ScrapeJob {
    readonly job_name: string;
    readonly static_configs?: { targets: string[] }[];
    readonly ec2_sd_configs?: { region: string; port: number; filters: { name: string; values: string[] }[] }[];
}

const at = (value: unknown, ...path: string[]): unknown => path.reduce<unknown>((v, key) => object(v, path.join("."))[key], value);

const scrapeJobs = (plan: PlanRecord) => plannedScrapeJobs(plan) as unknown as ScrapeJob[];

/** Where the cluster's pods' packets come from (Prometheus's, the dump job's): the node group's subnets, with the cluster security group. */
function clusterPods(plan: PlanRecord): Endpoint {
    const cluster = only(plan, "aws:eks/cluster:Cluster");
    const group = text(object(mockOf(cluster).state.vpcConfig, "vpcConfig").clusterSecurityGroupId, "clusterSecurityGroupId");
    return { subnetIds: list(only(plan, "aws:eks/nodeGroup:NodeGroup").inputs.subnetIds, "node subnets") as string[], securityGroupIds: [group] };
}

/** Auto Scaling groups in a region whose launched instances carry every tag the discovery filters on. */
function discoveredGroups(plan: PlanRecord, region: string, filters: { name: string; values: string[] }[]): PlanResource[] {
    const wanted = filters.filter((f) => f.name.startsWith("tag:")).map((f) => [f.name.slice(4), f.values] as const);
    return ofType(plan, "aws:autoscaling/group:Group").filter((group) => {
        if (group.region !== region) return false;
        const tags = (list(group.inputs.tags, "tags") as { key: string; value: string; propagateAtLaunch: boolean }[]).filter((t) => t.propagateAtLaunch);
        return wanted.every(([key, values]) => tags.some((t) => t.key === key && values.includes(t.value)));
    });
}

function instancesOf(plan: PlanRecord, group: PlanResource): Endpoint {
    // On-demand groups name their template; mixed (spot) groups name it in their instances policy.
    const mixed = group.inputs.mixedInstancesPolicy as { launchTemplate?: { launchTemplateSpecification?: { launchTemplateId?: unknown } } } | undefined;
    const templateId = text((group.inputs.launchTemplate as { id?: unknown } | undefined)?.id ?? mixed?.launchTemplate?.launchTemplateSpecification?.launchTemplateId, `${group.name}: launch template id`);
    const template = ofType(plan, "aws:ec2/launchTemplate:LaunchTemplate").find((t) => mockOf(t).id === templateId);
    assert.ok(template, `${group.name}: no launch template ${templateId}`);
    const interfaces = list(template.inputs.networkInterfaces, "networkInterfaces").map((n) => object(n, "interface"));
    return { subnetIds: list(group.inputs.vpcZoneIdentifiers, "vpcZoneIdentifiers") as string[], securityGroupIds: interfaces.flatMap((n) => list(n.securityGroups, "securityGroups") as string[]) };
}

/** The RDS instance a private DNS name (writer./reader.) resolves to, as its subnets and security groups. */
function databaseBehind(plan: PlanRecord, host: string): Endpoint {
    const cname = ofType(plan, "aws:route53/record:Record").find((r) => r.inputs.name === host);
    assert.ok(cname, `no record ${host}`);
    const address = text(list(cname.inputs.records, "records")[0], "record");
    const instance = ofType(plan, "aws:rds/instance:Instance").find((i) => mockOf(i).state.address === address);
    assert.ok(instance, `${host}: no RDS instance at ${address}`);
    const subnetGroup = ofType(plan, "aws:rds/subnetGroup:SubnetGroup").find((g) => mockOf(g).id === instance.inputs.dbSubnetGroupName);
    assert.ok(subnetGroup, `${instance.name}: no subnet group`);
    return { subnetIds: list(subnetGroup.inputs.subnetIds, "subnetIds") as string[], securityGroupIds: list(instance.inputs.vpcSecurityGroupIds, "vpcSecurityGroupIds") as string[] };
}

/** The replication group whose primary endpoint is `host`: its subnet group's subnets and its security groups. */
function cacheBehind(plan: PlanRecord, host: string): Endpoint {
    const group = ofType(plan, "aws:elasticache/replicationGroup:ReplicationGroup").find((g) => mockOf(g).state.primaryEndpointAddress === host);
    assert.ok(group, `no replication group behind ${host}`);
    const subnetGroup = ofType(plan, "aws:elasticache/subnetGroup:SubnetGroup").find((g) => mockOf(g).id === group.inputs.subnetGroupName);
    assert.ok(subnetGroup, `${group.name}: no subnet group`);
    return { subnetIds: list(subnetGroup.inputs.subnetIds, "subnetIds") as string[], securityGroupIds: list(group.inputs.securityGroupIds, "securityGroupIds") as string[] };
}

/**
 * The Services the plan deploys in the cluster: Keel's own, and what each chart names after its
 * values — `<fullnameOverride>` on `service.port` (exporters, and Grafana's subchart of
 * kube-prometheus-stack), Loki's read path `<fullnameOverride>-read` on its HTTP port. The
 * helm-template job (scripts/helm/checks.ts) checks the same against the charts' real output.
 */
function deployedServices(plan: PlanRecord): Set<string> {
    const services = new Set<string>();
    for (const service of ofType(plan, "kubernetes:core/v1:Service")) {
        const metadata = object(service.inputs.metadata, "metadata");
        for (const port of list(at(service.inputs, "spec", "ports"), "ports")) services.add(`${text(metadata.name, "name")}.${text(metadata.namespace, "namespace")}.svc:${String(object(port, "port").port)}`);
    }
    for (const release of ofType(plan, "kubernetes:helm.sh/v3:Release")) {
        const namespace = text(release.inputs.namespace, "namespace");
        const values = object(release.inputs.values, "values");
        for (const chartValues of [values, values.grafana as Record<string, unknown> | undefined]) {
            const port = (chartValues?.service as { port?: unknown } | undefined)?.port;
            if (typeof chartValues?.fullnameOverride === "string" && typeof port === "number") services.add(`${chartValues.fullnameOverride}.${namespace}.svc:${port}`);
        }
        const loki = values.loki as { server?: { http_listen_port?: number } } | undefined;
        if (release.inputs.chart === "loki" && values.deploymentMode === "SimpleScalable") services.add(`${String(values.fullnameOverride)}-read.${namespace}.svc:${String(loki?.server?.http_listen_port)}`);
        if (release.inputs.chart === "loki" && values.deploymentMode === "Monolithic") services.add(`${String(values.fullnameOverride)}.${namespace}.svc:${String(loki?.server?.http_listen_port)}`);
    }
    return services;
}

const scenarios: [string, string, readonly string[]][] = [
    ["production", "production", []],
    ["production in DR mode", "production", ["keel:dr.active=true"]],
    ["staging", "staging", []],
];

for (const [label, stack, overrides] of scenarios) {
    describe(`${label}: Prometheus reaches every target it scrapes`, () => {
        let plan: PlanRecord;
        let network: Reachability;
        before(async () => {
            plan = await planStack(stack, overrides);
            network = new Reachability(plan);
        });

        test("every static target in the cluster is a Service the plan deploys", () => {
            const services = deployedServices(plan);
            const targets = scrapeJobs(plan).flatMap((job) => (job.static_configs ?? []).flatMap((c) => c.targets.map((target) => [job.job_name, target] as const)));
            const missing = targets.filter(([, target]) => target.includes(".svc:") && !services.has(target)).map(([job, target]) => `${job}: ${target}`);
            assert.deepEqual(missing, []);
            assert.ok(targets.some(([job]) => job === "postgres"), "no postgres job");
            assert.ok(targets.some(([job]) => job === "redis"), "no redis job");
        });

        test("every EC2 discovery finds instances the plan launches, in each region it searches", () => {
            for (const job of scrapeJobs(plan).filter((j) => j.ec2_sd_configs !== undefined)) {
                for (const sd of job.ec2_sd_configs ?? []) {
                    assert.ok(discoveredGroups(plan, sd.region, sd.filters).length > 0, `${job.job_name}: nothing to discover in ${sd.region}`);
                }
            }
        });

        test("security groups, routes and peering carry every EC2 scrape from the Prometheus pods and back", () => {
            const problems = scrapeJobs(plan).flatMap((job) => (job.ec2_sd_configs ?? []).flatMap((sd) =>
                discoveredGroups(plan, sd.region, sd.filters).flatMap((group) =>
                    network.problems(clusterPods(plan), instancesOf(plan, group), sd.port).map((p) => `${job.job_name} → ${group.name} :${sd.port}: ${p}`))));
            assert.deepEqual(problems, []);
        });

        test("each PostgreSQL exporter reaches the database it watches, in whichever region it runs", () => {
            const exporters = ofType(plan, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "prometheus-postgres-exporter");
            assert.ok(exporters.length > 0, "no exporter");
            const problems = exporters.flatMap((release) => {
                const datasource = object(at(release.inputs.values, "config", "datasource"), "datasource");
                const host = text(datasource.host, "host");
                return network.problems(clusterPods(plan), databaseBehind(plan, host), Number(datasource.port)).map((p) => `${text(release.inputs.name, "name")} → ${host}: ${p}`);
            });
            assert.deepEqual(problems, []);
        });

        test("each redis exporter reaches the cache it watches over TLS, in whichever region it runs", () => {
            const exporters = ofType(plan, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "prometheus-redis-exporter");
            assert.equal(exporters.length, stack === "production" ? 2 : 1);
            const problems = exporters.flatMap((release) => {
                const address = new URL(text(object(release.inputs.values, "values").redisAddress, "redisAddress"));
                assert.equal(address.protocol, "rediss:", "the cache requires TLS");
                return network.problems(clusterPods(plan), cacheBehind(plan, address.hostname), Number(address.port)).map((p) => `${text(release.inputs.name, "name")} → ${address.hostname}: ${p}`);
            });
            assert.deepEqual(problems, []);
        });

        test("the exporters run the postgres_exporter whose metric names the rules use", () => {
            for (const release of ofType(plan, "kubernetes:helm.sh/v3:Release").filter((r) => r.inputs.chart === "prometheus-postgres-exporter")) {
                assert.equal(`quay.io/prometheuscommunity/postgres-exporter:${text(at(release.inputs.values, "image", "tag"), "tag")}`, postgresExporterImage);
            }
        });

        test("the database dump job reaches the writer it dumps, from the cluster's pods, in whichever region it writes", () => {
            const { env } = plannedDumpJob(plan);
            const host = text(env.PGHOST, "PGHOST");
            assert.deepEqual(network.problems(clusterPods(plan), databaseBehind(plan, host), Number(env.PGPORT)), []);
        });
    });
}

describe("the reachability check can fail", () => {
    let plan: PlanRecord;
    before(async () => {
        plan = await planStack("production");
    });

    test("without the peering routes the DR region is unreachable; without the rule the port is refused", () => {
        const withoutPeering: PlanRecord = { ...plan, resources: plan.resources.filter((r) => !r.name.startsWith("primary-to-dr-accepter")) };
        const group = discoveredGroups(plan, "us-west-2", [{ name: "tag:environment", values: ["production"] }])[0];
        const problems = new Reachability(withoutPeering).problems(clusterPods(plan), instancesOf(plan, group), 9100);
        assert.ok(problems.some((p) => /no return route from 10\.1\.\d+\.0\/\d+ \(us-west-2\)/.test(p)), problems.join("\n"));
        const withoutRules: PlanRecord = { ...plan, resources: plan.resources.filter((r) => !r.name.includes("-scrape-node-")) };
        assert.match(new Reachability(withoutRules).problems(clusterPods(plan), instancesOf(plan, group), 9100).join("\n"), /no security group of the destination admits tcp\/9100 from 10\.0\.\d+\.0\/\d+ \(us-east-1\)/);
    });
});

describe("local: Prometheus scrapes only containers the plan runs", () => {
    let plan: PlanRecord;
    before(async () => {
        plan = await planStack("local");
    });

    test("every static target (but the application, which the team runs, and probed URLs) is a container alias on the stack's network", () => {
        const aliases = new Set(ofType(plan, "docker:index/container:Container").flatMap((c) => list(c.inputs.networksAdvanced, "networks").flatMap((n) => list(object(n, "network").aliases ?? [], "aliases") as string[])));
        const prometheus = ofType(plan, "docker:index/container:Container").find((c) => c.name === "monitoring-prometheus");
        assert.ok(prometheus);
        const upload = (list(prometheus.inputs.uploads, "uploads").map((u) => object(u, "upload")).find((u) => String(u.file).endsWith("prometheus.yml")));
        const jobs = (parse(text(upload?.content, "prometheus.yml")) as { scrape_configs: ScrapeJob[] }).scrape_configs;
        const missing = jobs.filter((job) => job.job_name !== "app").flatMap((job) => (job.static_configs ?? []).flatMap((c) => c.targets))
            .filter((target) => !target.includes("://"))
            .map((target) => target.split(":")[0])
            .filter((host) => host !== "localhost" && !aliases.has(host));
        assert.deepEqual(missing, []);
        assert.ok(aliases.has("postgres-exporter") && aliases.has("postgres-exporter-replica"), "no PostgreSQL exporters");
    });
});
