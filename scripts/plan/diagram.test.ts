import assert from "node:assert/strict";
import { test } from "node:test";
import { renderArchitecture } from "./diagram";
import type { PlanResource } from "../../offline-plan/record";

const stack = "urn:pulumi:p::keel::pulumi:pulumi:Stack::keel-p";
function resource(type: string, name: string, parent: string, region: string | null, dependencies: string[] = [], custom = true): PlanResource {
    const urn = `urn:pulumi:p::keel::${type}::${name}`;
    return { urn, type, name, parent, provider: null, region, custom, inputs: {}, protect: false, retainOnDelete: false, dependencies };
}

test("groups resources by region and top-level component, counting them by service, with dependency edges", () => {
    const component = resource("keel:backup:BackupBucket", "dumps", stack, null, [], false);
    const inner = resource("keel:test:Inner", "inner", component.urn, null, [], false);
    const replica = resource("aws:s3/bucket:Bucket", "dumps-replica", component.urn, "us-west-2");
    const source = resource("aws:s3/bucket:Bucket", "dumps", inner.urn, "us-east-1");
    const key = resource("aws:kms/key:Key", "dumps-key", component.urn, "us-east-1");
    const replication = resource("aws:s3/bucketReplicationConfig:BucketReplicationConfig", "dumps", component.urn, "us-east-1", [source.urn, replica.urn]);
    const topic = resource("aws:sns/topic:Topic", "alerts", stack, "us-east-1", [key.urn]);
    const network = resource("docker:index/network:Network", "keel-local", stack, null);
    const provider = resource("pulumi:providers:aws", "primary", stack, "us-east-1");
    const root = { ...resource("pulumi:pulumi:Stack", "keel-p", "", null, [], false), urn: stack, parent: null };

    assert.equal(renderArchitecture([root, provider, component, inner, replica, source, key, replication, topic, network]), [
        "flowchart LR",
        "    %% A --> B: something in B depends on something in A (replication, copies, logging, wiring).",
        '    subgraph region_us_east_1["us-east-1"]',
        '        aws_sns_topic_Topic_alerts_us_east_1["<b>Topic alerts</b><br/>sns"]',
        '        keel_backup_BackupBucket_dumps_us_east_1["<b>BackupBucket dumps</b><br/>kms, s3 ×2"]',
        "    end",
        '    subgraph region_us_west_2["us-west-2"]',
        '        keel_backup_BackupBucket_dumps_us_west_2["<b>BackupBucket dumps</b><br/>s3"]',
        "    end",
        '    subgraph region_outside_AWS["outside AWS"]',
        '        docker_index_network_Network_keel_local_outside_AWS["<b>Network keel-local</b><br/>docker"]',
        "    end",
        "    keel_backup_BackupBucket_dumps_us_east_1 --> aws_sns_topic_Topic_alerts_us_east_1",
        "    keel_backup_BackupBucket_dumps_us_west_2 --> keel_backup_BackupBucket_dumps_us_east_1",
        "",
    ].join("\n"));
});
