import type * as pulumi from "@pulumi/pulumi";

/**
 * What an AutoscaledService's instances run, and the pure rules about it: a container image
 * pinned by tag or digest (run by Docker under systemd on Canonical's Ubuntu), or a baked AMI
 * that starts the application itself. Either way the instance assembles the application's
 * environment at start: the configured variables, the port, and — with a database — the
 * credentials read from Secrets Manager with the instance role (never from user data).
 */

/** The database credentials secret an application reads at start. */
export interface DatabaseSecret {
    /**
     * The Secrets Manager secret's ARN in the service's own region (a replica's ARN in a DR
     * region). Its JSON holds host, readerHost, port, dbname, username and password.
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
}

/** Variables Keel sets itself: the port, and what it derives from the database secret. */
export const portVariables = ["APP_PORT", "PORT"] as const;
export const databaseVariables = ["DATABASE_URL", "DATABASE_READER_URL", "PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "PGSSLMODE"] as const;
const reservedVariables: readonly string[] = [...portVariables, ...databaseVariables];
/** Names that say they hold a credential: those come from Secrets Manager, never from config (user data is readable). */
const credentialVariable = /(PASSWORD|PASSWD|SECRET|TOKEN|API_KEY|APIKEY|PRIVATE_KEY|CREDENTIALS?)$/i;

// The Docker reference grammar (distribution/reference), lower-case repository paths.
const component = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const host = "(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?)";
const reference = new RegExp(`^(?:(${host})/)?(${component}(?:/${component})*)(?::([\\w][\\w.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`);

export interface ImageReference {
    /** The registry host; undefined for Docker Hub's short names. */
    readonly registry?: string;
    readonly repository: string;
    readonly tag?: string;
    readonly digest?: string;
}

/** The parts of an image reference, or undefined when it is not one. */
export function parseImage(image: string): ImageReference | undefined {
    const match = reference.exec(image);
    if (!match) return undefined;
    const [, first, path, tag, digest] = match;
    // A first component without a dot, colon or `localhost` is a Docker Hub namespace, not a host.
    const isHost = first !== undefined && (first.includes(".") || first.includes(":") || first === "localhost");
    const registry = isHost ? first : undefined;
    const repository = first !== undefined && !isHost ? `${first}/${path}` : path;
    if (first !== undefined && !isHost && !new RegExp(`^${component}$`).test(first)) return undefined;
    return { ...(registry !== undefined ? { registry } : {}), repository, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** Problems with an image reference: not one, or not pinned (deploys must be repeatable). */
export function containerImageErrors(image: string, what = "image"): string[] {
    const parsed = parseImage(image);
    if (parsed === undefined) return [`${what} ${JSON.stringify(image)} is not a container image reference such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2`];
    if (parsed.digest !== undefined) return [];
    if (parsed.tag === undefined) return [`${what} ${JSON.stringify(image)} is not pinned: name a version tag or a sha256 digest`];
    if (parsed.tag === "latest") return [`${what} ${JSON.stringify(image)} uses the moving tag latest: name a version tag or a sha256 digest`];
    return [];
}

export interface EcrRepository {
    /** The registry host, e.g. `123456789012.dkr.ecr.us-east-1.amazonaws.com`. */
    readonly registry: string;
    readonly account: string;
    readonly region: string;
    readonly repositoryArn: string;
}

const ecrHost = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(\.cn)?$/;

/** The private ECR repository an image lives in, or undefined for any other registry. */
export function ecrRepository(image: string): EcrRepository | undefined {
    const parsed = parseImage(image);
    const match = parsed?.registry === undefined ? null : ecrHost.exec(parsed.registry);
    if (!parsed || !match || parsed.registry === undefined) return undefined;
    const [, account, region, china] = match;
    const partition = china ? "aws-cn" : region.startsWith("us-gov-") ? "aws-us-gov" : "aws";
    return { registry: parsed.registry, account, region, repositoryArn: `arn:${partition}:ecr:${region}:${account}:repository/${parsed.repository}` };
}

/** EC2 image ids: `ami-` and 8 or 17 hexadecimal digits. */
export function amiIdErrors(amiId: string, what = "amiId"): string[] {
    return /^ami-(?:[0-9a-f]{8}|[0-9a-f]{17})$/.test(amiId) ? [] : [`${what} must be an AMI id such as ami-0123456789abcdef0, got ${JSON.stringify(amiId)}`];
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
            return problem("expected no credential: environment values are written into the instances' user data in plain text; keep credentials in Secrets Manager (the database's arrive as DATABASE_URL)", true);
        }
        if (/[\n\r\0]/.test(value)) return problem("expected a value on one line");
        return [];
    });
}

export function environmentErrors(environment: Readonly<Record<string, string>>, what = "environment"): string[] {
    return environmentProblems(environment).map((p) => `${what}.${p.name}: ${p.message}`);
}

/** Exactly one of image and amiId, each well-formed. */
export function applicationErrors(app: ServiceApplication): string[] {
    const errors: string[] = [];
    if (app.image === undefined && app.amiId === undefined) {
        errors.push("application needs a container image (application.image) or a baked AMI (application.amiId): without one the instances run no application and fail the load balancer's health checks");
    }
    if (app.image !== undefined && app.amiId !== undefined) errors.push("application takes a container image or a baked AMI, not both");
    if (app.image !== undefined) errors.push(...containerImageErrors(app.image, "application.image"));
    if (app.amiId !== undefined) errors.push(...amiIdErrors(app.amiId, "application.amiId"));
    return [...errors, ...environmentErrors(app.environment ?? {}, "application.environment")];
}

/** The region of a Secrets Manager secret ARN, or undefined when it is not one. */
export function secretRegion(arn: string): string | undefined {
    return /^arn:aws(?:-cn|-us-gov)?:secretsmanager:([a-z]{2}(?:-[a-z]+)+-\d):\d{12}:secret:[\w/+=.@-]+$/.exec(arn)?.[1];
}
