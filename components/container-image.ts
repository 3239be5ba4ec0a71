import { problem, type Problem } from "./problems";

/**
 * Container image references, shared by every component that runs one (AutoscaledService's
 * instances, KubeService's pods): how a reference parses, whether it is pinned, and which
 * private ECR repository it names.
 */

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

/** Problems with an image reference at `path`: not one, or not pinned (deploys must be repeatable). */
export function containerImageProblems(image: string, path: readonly (string | number)[] = ["image"]): Problem[] {
    const parsed = parseImage(image);
    if (parsed === undefined) return [problem(path, "expected a container image reference such as 123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2")];
    if (parsed.digest !== undefined) return [];
    if (parsed.tag === undefined) return [problem(path, "expected an image pinned by a version tag or a sha256 digest (untagged means whatever latest is each time one starts)")];
    if (parsed.tag === "latest") return [problem(path, "expected an image pinned by a version tag or a sha256 digest, not the moving tag latest")];
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

