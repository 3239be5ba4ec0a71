import type * as aws from "@pulumi/aws";
import type * as pulumi from "@pulumi/pulumi";
import type { AlarmSpec, AlarmThresholds, DatabaseSettings, DatabaseSiteName, DatabaseTopology } from "./settings";

/** What every database deployment offers its applications, on AWS and on Docker alike. */
export interface DatabaseEndpoints {
    /** The stable host name of the writer. */
    readonly writerEndpoint: pulumi.Output<string>;
    /** The stable host name of the readers (the writer when there is no replica). */
    readonly readerEndpoint: pulumi.Output<string>;
    readonly port: pulumi.Output<number>;
    /** Where the credentials are: a Secrets Manager secret ARN on AWS, the connection document itself (a Pulumi secret) on Docker. */
    readonly secret: pulumi.Output<string>;
}

/** The settings the engine builders read: the validated ones plus the plain choices. */
export interface ResolvedSettings extends DatabaseSettings {
    readonly multiAz: boolean;
    readonly deletionProtection: boolean;
    readonly databaseName: string;
    readonly masterUsername: string;
    readonly logMinDurationMs: number;
    readonly alarmThresholds: AlarmThresholds;
    readonly globalClusterIdentifier: string;
}

/** One region's share of the database: its key, network placement and alarm topic. */
export interface Site {
    readonly name: DatabaseSiteName;
    /** `{ parent, provider }` for the site's children. */
    readonly options: pulumi.CustomResourceOptions;
    /** The same plus the component's retainOnDelete, for children that hold data or keys. */
    readonly stateful: pulumi.CustomResourceOptions;
    readonly key: aws.kms.Key;
    readonly subnetGroup: aws.rds.SubnetGroup;
    readonly securityGroup: aws.ec2.SecurityGroup;
    /** The encrypted SNS topics the site's alarms and RDS events notify, by severity. */
    readonly alarmTopics: Readonly<Record<AlarmSpec["severity"], aws.sns.Topic>>;
    readonly region: pulumi.Output<string>;
}

/** What the engine builders share. */
export interface BuildContext {
    readonly name: string;
    readonly settings: ResolvedSettings;
    readonly topology: DatabaseTopology;
    readonly sites: { readonly primary: Site; readonly dr?: Site };
    readonly password: pulumi.Output<string>;
    /** The enhanced monitoring role; undefined when enhanced monitoring is off. */
    readonly monitoringRoleArn?: pulumi.Output<string>;
    /** The component's tags plus `Name` (and any extra tags) for a child. */
    readonly tags: (child: string, extra?: Record<string, string>) => pulumi.Output<Record<string, string>>;
}

/** CloudWatch alarms to create on one database in one site. */
export interface AlarmTarget {
    readonly site: DatabaseSiteName;
    /** Logical-name prefix of the alarms. */
    readonly name: string;
    readonly dimensions: Record<string, pulumi.Input<string>>;
    readonly specs: readonly AlarmSpec[];
}

export interface BuiltMember {
    readonly arn: pulumi.Output<string>;
    /** Host name of the member's writer (instance or cluster) endpoint. */
    readonly address: pulumi.Output<string>;
}

/** What an engine builder made. */
export interface BuiltDatabase {
    readonly members: { readonly primary: BuiltMember; readonly dr?: BuiltMember };
    readonly writerAddress: pulumi.Output<string>;
    readonly readerAddress: pulumi.Output<string>;
    readonly alarms: readonly AlarmTarget[];
}
