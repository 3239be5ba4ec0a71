import * as aws from "@pulumi/aws";
import { backup, database, network } from "@keel-platform/keel";

/**
 * Keel's components in a program of your own: a VPC over three zones, a backup bucket with the
 * guides' dump tiers, and a PostgreSQL database in the VPC's database subnets, in one region.
 */
export function singleRegion() {
    const provider = new aws.Provider("primary", { region: "us-east-1" });
    const vpc = new network.Network("app", { cidrBlock: "10.20.0.0/16" }, { provider });
    const dumps = new backup.BackupBucket("dumps", { tiers: [backup.tiers.dailyDatabaseDumps, backup.tiers.weeklyDatabaseDumps] }, { provider });
    const db = new database.ReplicatedDatabase("db", {
        engineVersion: "15",
        instanceClass: "db.t4g.medium",
        backupRetentionDays: 7,
        rpoSeconds: 3600,
        privateZoneName: "db.example.internal",
        primary: { provider, vpcId: vpc.vpcId, subnetIds: vpc.databaseSubnetIds, clientCidrBlocks: vpc.privateSubnetCidrBlocks },
    });
    return { vpcId: vpc.vpcId, dumpsBucket: dumps.bucketName, writer: db.writerEndpoint };
}
