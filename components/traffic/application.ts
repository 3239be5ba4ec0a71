import type * as pulumi from "@pulumi/pulumi";
import { containerImageProblems } from "../container-image";
import { problem, type Problem } from "../problems";

/**
 * What an AutoscaledService's instances run, and the pure rules about it: a container image
 * pinned by tag or digest (run by Docker under systemd on Canonical's Ubuntu), or a baked AMI
 * that starts the application itself. Either way the instance assembles the application's
 * environment at start: the configured variables, the port, and — with a database — the
 * credentials read from Secrets Manager with the instance role (never from user data).
 */

/** A Secrets Manager secret an application reads at start: the database's credentials, the cache's connection. */
export interface ApplicationSecret {
    /**
     * The Secrets Manager secret's ARN in the service's own region (a replica's ARN in a DR
     * region). The database's JSON holds host, readerHost, port, dbname, username and password;
     * the cache's host, port and authToken.
     */
    readonly arn: pulumi.Input<string>;
    /**
     * Whether a customer-managed KMS key encrypts it (Keel's databases: yes), so the role also
     * needs `kms:Decrypt` — only through Secrets Manager and only for this secret's encryption
     * context. Default true. With the AWS managed key `aws/secretsmanager` nothing else is granted.
     */
    readonly customerManagedKey?: boolean;
    /** The customer-managed key, when known: the grant names it. Unset: the region's keys of this account. */
    readonly kmsKeyArn?: pulumi.Input<string>;
}

export interface ServiceApplication {
    /**
     * A container image pinned by a version tag or a `sha256` digest (never `latest`, never
     * untagged), e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2`. The instance
     * role may pull it from ECR; other registries must allow anonymous pulls.
     */
    readonly image?: string;
    /**
     * A baked AMI of this region in place of Canonical's Ubuntu image: it starts the application
     * itself, with `EnvironmentFile=/run/keel/app.env` after `keel-app-env.service` (docs/traffic.md).
     */
    readonly amiId?: string;
    /** Plain (non-secret) environment variables of the application. */
    readonly environment?: Readonly<Record<string, string>>;
    /** The database credentials, as DATABASE_URL, DATABASE_READER_URL and PG* variables. */
    readonly databaseSecret?: DatabaseSecret;
    /** The cache's connection (ReplicatedCache's secret of the service's region), as REDIS_URL. */
    readonly cacheSecret?: ApplicationSecret;
}

/** The database credentials secret an application reads at start. */
export type DatabaseSecret = ApplicationSecret;

/** Variables Keel sets itself: the port, and what it derives from the database secret. */
export const portVariables = ["APP_PORT", "PORT"] as const;
export const databaseVariables = ["DATABASE_URL", "DATABASE_READER_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE"] as const;
export const cacheVariables = ["REDIS_URL"] as const;
const reservedVariables: readonly string[] = [...portVariables, ...databaseVariables, ...cacheVariables];
/** Names that say they hold a credential: those come from Secrets Manager, never from config (user data is readable). */
const credentialVariable = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIALS?)$/i;

/** EC2 image ids: `ami-` and 8 or 17 hexadecimal digits. */
export function amiIdProblems(amiId: string, path: readonly (string | number)[] = ["amiId"]): Problem[] {
    return /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(amiId) ? [] : [problem(path, "expected an AMI id such as ami-0123456789abcdef0")];
}

export interface EnvironmentProblem {
    readonly name: string;
    /** What is expected, as `expected …`. */
    readonly message: string;
    /** The name says it holds a credential (the value must not be echoed). */
    readonly credential: boolean;
}

/**
 * Variable names the shell, Docker's `--env-file` and systemd's `EnvironmentFile` all accept;
 * none Keel sets itself; none that names a credential (user data is readable by anyone who may
 * describe the instance: secrets come from Secrets Manager); values on one line.
 */
export function environmentProblems(environment: Readonly<Record<string, string>>): EnvironmentProblem[] {
    return Object.entries(environment).flatMap(([name, value]): EnvironmentProblem[] => {
        const problem = (message: string, credential = false) => [{ name, message, credential }];
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return problem("expected a variable name of letters, digits and underscores, not starting with a digit");
        if (reservedVariables.includes(name)) return problem(`expected a variable Keel does not set itself (${reservedVariables.join(", ")})`);
        if (credentialVariable.test(name)) {
            return problem("expected no credential: environment values are written into the instances' user data in plain text; keep credentials in Secrets Manager (the database's arrive as DATABASE_URL, the cache's as REDIS_URL)", true);
        }
        if (/[\n\r\0]/.test(value)) return problem("expected a value on one line");
        return [];
    });
}

/**
 * Exactly one of image and amiId, each well-formed, and a plain environment; at paths inside
 * the application. Environment values are never quoted: judge them against arguments without them.
 */
export function applicationProblems(app: ServiceApplication): Problem[] {
    return [
        ...(app.image === undefined && app.amiId === undefined
            ? [problem([], "needs a container image (image) or a baked AMI (amiId): without one the instances run no application and fail the load balancer's health checks")]
            : []),
        ...(app.image !== undefined && app.amiId !== undefined ? [problem([], "takes a container image or a baked AMI, not both")] : []),
        ...(app.image !== undefined ? containerImageProblems(app.image) : []),
        ...(app.amiId !== undefined ? amiIdProblems(app.amiId) : []),
        ...environmentProblems(app.environment ?? {}).map((p) => problem(["environment", p.name], p.message)),
    ];
}

/** The region of a Secrets Manager secret ARN, or undefined when it is not one. */
export function secretRegion(arn: string): string | undefined {
    return /^arn:aws(?:-cn|-us-gov)?:secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:secret:[\w/+=.@-]+$/.exec(arn)?.[1];
}
