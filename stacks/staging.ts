import { awsEnvironment } from "./aws";
import type { KeelConfig } from "./config";

/** staging: one region, production-like tiers at smaller sizes (ops guides: weekly backups, 7-day retention). */
export default function staging(config: KeelConfig) {
    return awsEnvironment(config);
}
