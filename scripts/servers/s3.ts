import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, removeTempDir, spawnServer, tempDir, waitForHttp } from "./process";

export interface S3Server {
    readonly endpoint: string;
    /** A directory holding an `aws` that talks to this server (put it first on PATH). */
    readonly awsShimDir: string;
    /** The environment the AWS CLI needs for it. */
    readonly env: NodeJS.ProcessEnv;
    stop(): Promise<void>;
}

/**
 * s3rver (an S3 server in Node) with the given buckets, in a process of its own (tests block
 * on the AWS CLI with spawnSync), and an `aws` shim that points the AWS CLI at it.
 */
export async function startS3(buckets: readonly string[]): Promise<S3Server> {
    const dir = tempDir("s3");
    const port = await freePort();
    const s3rver = join(__dirname, "../../node_modules/s3rver/bin/s3rver.js");
    const server = spawnServer(process.execPath, [s3rver, "-d", join(dir, "data"), "-a", "127.0.0.1", "-p", String(port), "--silent", ...buckets.flatMap((name) => ["--configure-bucket", name])], { logFile: join(dir, "s3rver.log") });
    const endpoint = `http://127.0.0.1:${port}`;
    await waitForHttp("the S3 server", endpoint, (r) => r.status < 500);
    const awsShimDir = join(dir, "bin");
    const aws = ["/usr/bin/aws", "/usr/local/bin/aws"].find((path) => existsSync(path)) ?? "aws";
    mkdirSync(awsShimDir);
    writeFileSync(join(awsShimDir, "aws"), `#!/bin/sh\nexec ${aws} --endpoint-url ${endpoint} "$@"\n`, { mode: 0o755 });
    return {
        endpoint,
        awsShimDir,
        env: { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER", AWS_REGION: "us-east-1", AWS_EC2_METADATA_DISABLED: "true" },
        stop: async () => {
            await server.stop();
            removeTempDir(dir);
        },
    };
}
