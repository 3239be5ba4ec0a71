import type { PolicyResource } from "@pulumi/policy";
import { backupPlanPolicies } from "./backup-plans";
import { setting, stackPolicy } from "./policy";
import { list, object } from "./props";

const backupPlanType = "aws:backup/plan:Plan";
const databaseTypes = ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster"];
const bucketType = "aws:s3/bucket:Bucket";
const cronJobType = "kubernetes:batch/v1:CronJob";

type Container = { env?: { name?: string }[] };

/** The containers (init containers first) of a CronJob's pod template. */
function podContainers(cronJob: PolicyResource): Container[] {
    const pod = object(object(object(object(object(cronJob.props.spec).jobTemplate).spec).template).spec);
    return [...list(pod.initContainers), ...list(pod.containers)] as Container[];
}

/** Why a cron schedule does not run at least once a week, or undefined when it does. */
export function atLeastWeekly(schedule: unknown): string | undefined {
    if (typeof schedule !== "string") return "has no schedule";
    if (["@daily", "@midnight", "@weekly", "@hourly"].includes(schedule.trim())) return undefined;
    const fields = schedule.trim().split(/\s+/);
    if (fields.length !== 5) return `has the schedule "${schedule}", not five cron fields`;
    const [, , dayOfMonth, month, dayOfWeek] = fields;
    return dayOfMonth === "*" && month === "*" && dayOfWeek !== "" ? undefined : `runs on "${schedule}", less often than weekly`;
}

/**
 * Where a stack backs up a database (an AWS Backup plan beside an RDS instance or cluster), it also takes logical dumps
 * (every guide's daily pg_dump; the 3-2-1 rule's other media): a CronJob, not suspended,
 * running at least weekly, that reads the database (libpq's PGHOST) and writes to one of the
 * stack's S3 buckets (its pod's environment comes from the bucket, so it depends on it).
 */
export const databaseDumps = stackPolicy({
    name: "keel-database-dumps",
    description: "Stacks that back up a database (an AWS Backup plan and an RDS database) run a database dump job: a CronJob, not suspended, at least weekly, that reads the database and writes to one of the stack's buckets. `required: false` only where the database is dumped outside the stack.",
    config: { required: setting.switch(true) },
    check: function* ({ resources }) {
        const plan = resources.find((r) => r.type === backupPlanType);
        if (plan === undefined || !resources.some((r) => databaseTypes.includes(r.type))) return;
        const jobs = resources.filter((r) => r.type === cronJobType);
        const problems = jobs.map((job): string | undefined => {
            const containers = podContainers(job);
            if (!containers.some((c) => (c.env ?? []).some((e) => e.name === "PGHOST"))) return `CronJob "${job.name}" reads no database (no PGHOST)`;
            if (!job.dependencies.some((d) => d.type === bucketType)) return `CronJob "${job.name}" writes to none of the stack's S3 buckets`;
            if (object(job.props.spec).suspend === true) return `CronJob "${job.name}" is suspended`;
            const cadence = atLeastWeekly(object(job.props.spec).schedule);
            return cadence === undefined ? undefined : `CronJob "${job.name}" ${cadence}`;
        });
        if (problems.some((p) => p === undefined)) return;
        const why = problems.length > 0 ? `: ${problems.join("; ")}` : "";
        yield [`the stack backs up with AWS Backup plan "${plan.name}" but no job dumps the database to its dumps bucket${why} (docs/backups.md)`, plan.urn];
    },
});

export const backupPolicies = [databaseDumps, ...backupPlanPolicies];
