import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { assumedByServiceAccounts, type OidcProvider } from "../iam";
import type { ContainerResources } from "../kubernetes/service";
import { problem, requireNoProblems, type Problem } from "../problems";
import { publicOutputs } from "../outputs";

/** The job's steps, one per container (dump-job.sh documents each). */
export const dumpJobScript = readFileSync(join(__dirname, "dump-job.sh"), "utf8");

/** Images of the upload and publish steps, pinned; the dump step runs the server's own major version (`postgresImage`). */
export const dumpJobImages = {
    awsCli: "amazon/aws-cli:2.27.63",
    curl: "curlimages/curl:8.16.0",
} as const;

/** How often the job runs, and which key prefixes (the dumps bucket's tiers) each run writes. */
export interface DumpCadence {
    /** `daily`: every day; `weekly`: every Sunday. */
    readonly every: "daily" | "weekly";
    /** Start time, `hh:mm` UTC. */
    readonly at: string;
    /** Every run's dump goes under this prefix (e.g. `daily/`). */
    readonly prefix: string;
    /** A copy of the week's first run (Sunday's; with `weekly`, every run) under this prefix. Default: none. */
    readonly weeklyPrefix?: string;
    /** A copy of the month's first run under this prefix. Default: none. */
    readonly monthlyPrefix?: string;
}

export interface DatabaseDumpJobArgs {
    /** The OIDC provider of the cluster the CronJob runs on (the job's IRSA role trusts its service account only). */
    readonly oidc: OidcProvider;
    /** The dumps bucket and its KMS key (the bucket policy admits only uploads with that key). */
    readonly bucket: { readonly name: pulumi.Input<string>; readonly arn: pulumi.Input<string>; readonly kmsKeyArn: pulumi.Input<string> };
    /** The bucket's region. */
    readonly region: pulumi.Input<string>;
    readonly cadence: DumpCadence;
    /** Where to dump from: the writer's stable name (it follows the writer through DR mode). */
    readonly database: {
        readonly host: pulumi.Input<string>;
        readonly port: number;
        readonly name: pulumi.Input<string>;
        /** The credentials secret's contents (a Pulumi secret); only a Kubernetes Secret carries them. */
        readonly credentials: pulumi.Output<{ readonly username: string; readonly password: string }>;
        /** Default `require` (RDS enforces TLS with rds.force_ssl). */
        readonly sslmode?: string;
    };
    /** A pinned PostgreSQL image of the server's major version (pg_dump and pg_restore). */
    readonly postgresImage: string;
    /** `host:port` of the Pushgateway Prometheus scrapes. */
    readonly pushgateway: string;
    /** The `backup` label of the success metric. Default `database-dumps`. */
    readonly backupName?: string;
    /** Size of the scratch volume the dump is written to and checked on, in GiB: at least the database's size. */
    readonly scratchGb: number;
    /** Default `backup`. */
    readonly namespace?: string;
    /** A run that has not finished after this many seconds is stopped and fails. Default 14400 (4 h). */
    readonly deadlineSeconds?: number;
    readonly tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
}

/**
 * Problems with a dump cadence, all at once, at its own paths (`at`, `weeklyPrefix`, ...); the
 * messages leave the values to `given`.
 */
export function dumpCadenceProblems(cadence: DumpCadence): Problem[] {
    const problems: Problem[] = [];
    if (!/^([01]\d|2[0-3]):[0-5]\d$/.test(cadence.at)) problems.push(problem("at", "expected hh:mm in UTC"));
    const prefixes = (["prefix", "weeklyPrefix", "monthlyPrefix"] as const).filter((key) => cadence[key] !== undefined);
    for (const key of prefixes) {
        if (!/^[a-z0-9][a-z0-9-]*\/$/.test(cadence[key] ?? "")) problems.push(problem(key, "expected a key prefix such as daily/"));
    }
    // Each tier's copies (and so their retention) need a prefix of their own.
    prefixes.forEach((key, i) => {
        const earlier = prefixes.slice(0, i).find((other) => cadence[other] === cadence[key]);
        if (earlier !== undefined) problems.push(problem(key, `expected a prefix of its own, not the same as cadence.${earlier}`));
    });
    if (cadence.every === "weekly" && cadence.weeklyPrefix !== undefined) problems.push(problem("weeklyPrefix", 'expected none when every is "weekly": every run already writes cadence.prefix'));
    return problems;
}

/** The CronJob's schedule: `at` every day, or every Sunday. */
export function dumpSchedule(cadence: DumpCadence): string {
    const [hour, minute] = cadence.at.split(":").map(Number);
    return `${minute} ${hour} * * ${cadence.every === "weekly" ? "0" : "*"}`;
}

/**
 * What the job's role may do, and nothing more: put and read back objects under the prefixes it
 * writes (no list, no delete, no retention or legal-hold changes), abort its own multipart
 * uploads, and use the bucket's key only through S3 in the bucket's region.
 */
export function dumpJobPolicy(bucketArn: string, kmsKeyArn: string, region: string, cadence: DumpCadence): Record<string, unknown> {
    const objects = [cadence.prefix, cadence.weeklyPrefix, cadence.monthlyPrefix].filter((p) => p !== undefined).map((p) => `${bucketArn}/${p}*`);
    return {
        Version: "2012-10-17",
        Statement: [
            { Sid: "WriteAndVerifyDumps", Effect: "Allow", Action: ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"], Resource: objects },
            {
                Sid: "BucketKeyThroughS3",
                Effect: "Allow",
                Action: ["kms:GenerateDataKey", "kms:Decrypt"],
                Resource: kmsKeyArn,
                Condition: { StringEquals: { "kms:ViaService": `s3.${region}.amazonaws.com` } },
            },
        ],
    };
}

/** Requests and limits of each step: pg_dump's compression is the one that works. */
export const dumpJobResources = {
    dump: { requests: { cpu: "500m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    upload: { requests: { cpu: "250m", memory: "256Mi" }, limits: { memory: "1Gi" } },
    publish: { requests: { cpu: "10m", memory: "16Mi" }, limits: { memory: "64Mi" } },
} as const satisfies Record<string, ContainerResources>;

const serviceAccountName = "database-dumps";
const workDir = "/work";

/**
 * A daily or weekly logical backup of a PostgreSQL database, on Kubernetes: a CronJob whose
 * pod dumps the writer with the server's own client version, checks the archive
 * (`pg_restore --list`), uploads it to the dumps bucket with SSE-KMS, a SHA-256 checksum and
 * metadata (size, sha256, source, time), reads it back and compares, copies the week's and
 * the month's first dump to their tiers, and only then pushes
 * `keel_backup_last_success_timestamp_seconds{backup=<name>}` to the Pushgateway. Each step is
 * a container of its own (init containers run in order; a failed step fails the pod, and the
 * Job records the failure). Credentials come from a Kubernetes Secret; S3 access from an IRSA
 * role limited to the prefixes it writes.
 *
 * Give it the AWS and Kubernetes providers through `providers`.
 */
export class DatabaseDumpJob extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly cronJobName: pulumi.Output<string>;
    public readonly roleArn: pulumi.Output<string>;
    public readonly schedule: string;

    constructor(name: string, args: DatabaseDumpJobArgs, opts?: pulumi.ComponentResourceOptions) {
        requireNoProblems(`DatabaseDumpJob ${name}`, [
            ...dumpCadenceProblems(args.cadence).map((p) => problem(["cadence", ...p.path], p.message)),
            ...(Number.isInteger(args.scratchGb) && args.scratchGb >= 1 ? [] : [problem("scratchGb", "expected whole GiB ≥ 1")]),
        ], args);
        super("keel:backup:DatabaseDumpJob", name, {}, opts);
        const parent = { parent: this };
        const ns = args.namespace ?? "backup";
        const backupName = args.backupName ?? "database-dumps";

        const namespace = new k8s.core.v1.Namespace(name, { metadata: { name: ns } }, parent);
        const inNamespace = { parent: this, dependsOn: [namespace] };
        const role = this.role(name, args, ns);
        const serviceAccount = new k8s.core.v1.ServiceAccount(name, {
            metadata: { name: serviceAccountName, namespace: ns, annotations: { "eks.amazonaws.com/role-arn": role.arn } },
        }, inNamespace);
        const credentials = new k8s.core.v1.Secret(`${name}-credentials`, {
            metadata: { name: `${name}-credentials`, namespace: ns },
            stringData: {
                username: args.database.credentials.apply((c) => c.username),
                password: pulumi.secret(args.database.credentials.apply((c) => c.password)),
            },
        }, inNamespace);
        // Scratch volumes go with their pod: a Retain class would keep a volume the database's size from every run.
        const scratch = new k8s.storage.v1.StorageClass(`${name}-scratch`, {
            metadata: { name: `${name}-scratch` },
            provisioner: "ebs.csi.aws.com",
            parameters: { type: "gp3", encrypted: "true" },
            reclaimPolicy: "Delete",
            volumeBindingMode: "WaitForFirstConsumer",
        }, parent);
        const script = new k8s.core.v1.ConfigMap(`${name}-script`, {
            metadata: { name: `${name}-script`, namespace: ns },
            data: { "dump-job.sh": dumpJobScript },
        }, inNamespace);

        this.schedule = dumpSchedule(args.cadence);
        const cronJob = new k8s.batch.v1.CronJob(name, {
            metadata: { name, namespace: ns, labels: { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": "keel", "keel.dev/backup": backupName } },
            spec: {
                schedule: this.schedule,
                timeZone: "Etc/UTC",
                // One dump at a time; a run missed by more than an hour waits for the next (BackupMissing says so).
                concurrencyPolicy: "Forbid",
                startingDeadlineSeconds: 3600,
                successfulJobsHistoryLimit: 3,
                failedJobsHistoryLimit: 5,
                jobTemplate: {
                    spec: {
                        backoffLimit: 2,
                        activeDeadlineSeconds: args.deadlineSeconds ?? 4 * 3600,
                        ttlSecondsAfterFinished: 7 * 24 * 3600,
                        template: {
                            metadata: { labels: { "app.kubernetes.io/name": name, "keel.dev/backup": backupName } },
                            spec: this.podSpec(name, args, { secret: credentials.metadata.name, script: script.metadata.name, storageClass: scratch.metadata.name }, backupName),
                        },
                    },
                },
            },
        }, { parent: this, dependsOn: [serviceAccount, credentials, script, scratch] });

        this.namespace = namespace.metadata.name;
        this.cronJobName = cronJob.metadata.name;
        this.roleArn = role.arn;
        this.registerOutputs(publicOutputs(this));
    }

    private role(name: string, args: DatabaseDumpJobArgs, namespace: string): aws.iam.Role {
        const role = new aws.iam.Role(`${name}-role`, {
            description: "Database dump job: writes and reads back its prefixes of the dumps bucket",
            assumeRolePolicy: assumedByServiceAccounts(args.oidc, namespace, [serviceAccountName]),
            tags: args.tags,
        }, { parent: this });
        new aws.iam.RolePolicy(`${name}-role`, {
            role: role.id,
            policy: pulumi.all([args.bucket.arn, args.bucket.kmsKeyArn, args.region])
                .apply(([bucketArn, keyArn, region]) => JSON.stringify(dumpJobPolicy(bucketArn, keyArn, region, args.cadence))),
        }, { parent: this });
        return role;
    }

    private podSpec(name: string, args: DatabaseDumpJobArgs, names: { secret: pulumi.Output<string>; script: pulumi.Output<string>; storageClass: pulumi.Output<string> }, backupName: string): k8s.types.input.core.v1.PodSpec {
        const { cadence, database } = args;
        const step = (stepName: keyof typeof dumpJobResources, image: string, env: k8s.types.input.core.v1.EnvVar[]): k8s.types.input.core.v1.Container => ({
            name: stepName,
            image,
            command: ["/bin/sh", "/scripts/dump-job.sh", stepName],
            env: [{ name: "DUMP_WORKDIR", value: workDir }, { name: "HOME", value: workDir }, ...env],
            resources: dumpJobResources[stepName],
            securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
            volumeMounts: [{ name: "work", mountPath: workDir }, { name: "scripts", mountPath: "/scripts", readOnly: true }, { name: "tmp", mountPath: "/tmp" }],
        });
        const fromSecret = (key: string) => ({ secretKeyRef: { name: names.secret, key } });
        return {
            serviceAccountName,
            restartPolicy: "Never",
            // postgres's uid in the official image; the other images run as any user.
            securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
            initContainers: [
                step("dump", args.postgresImage, [
                    { name: "PGHOST", value: database.host },
                    { name: "PGPORT", value: String(database.port) },
                    { name: "PGDATABASE", value: database.name },
                    { name: "PGUSER", valueFrom: fromSecret("username") },
                    { name: "PGPASSWORD", valueFrom: fromSecret("password") },
                    { name: "PGSSLMODE", value: database.sslmode ?? "require" },
                    { name: "PGCONNECT_TIMEOUT", value: "30" },
                ]),
                step("upload", dumpJobImages.awsCli, [
                    { name: "AWS_REGION", value: args.region },
                    { name: "DUMP_BUCKET", value: args.bucket.name },
                    { name: "DUMP_KMS_KEY_ARN", value: args.bucket.kmsKeyArn },
                    { name: "DUMP_PREFIX", value: cadence.prefix },
                    ...(cadence.weeklyPrefix !== undefined ? [{ name: "DUMP_WEEKLY_PREFIX", value: cadence.weeklyPrefix }] : []),
                    ...(cadence.monthlyPrefix !== undefined ? [{ name: "DUMP_MONTHLY_PREFIX", value: cadence.monthlyPrefix }] : []),
                    { name: "DUMP_CADENCE_DAYS", value: cadence.every === "weekly" ? "7" : "1" },
                ]),
            ],
            containers: [step("publish", dumpJobImages.curl, [{ name: "PUSHGATEWAY", value: args.pushgateway }, { name: "BACKUP_NAME", value: backupName }])],
            volumes: [
                // The dump lands on an encrypted EBS volume of its own, sized for the database, deleted with the pod
                // (node disks are far smaller than a production database).
                {
                    name: "work",
                    ephemeral: {
                        volumeClaimTemplate: {
                            metadata: { labels: { "app.kubernetes.io/name": name } },
                            spec: { accessModes: ["ReadWriteOnce"], storageClassName: names.storageClass, resources: { requests: { storage: `${args.scratchGb}Gi` } } },
                        },
                    },
                },
                { name: "scripts", configMap: { name: names.script, defaultMode: 0o555 } },
                { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
            ],
        };
    }
}
