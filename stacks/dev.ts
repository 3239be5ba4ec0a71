import { awsEnvironment } from "./aws";
import type { KeelConfig } from "./config";

/** dev: one region, one NAT gateway, ASG 1–2, small database, no backups (ops guides: "basic health checks, no backups"). */
export default function dev(config: KeelConfig) {
    return awsEnvironment(config);
}
