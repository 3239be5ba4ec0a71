import { awsEnvironment } from "./aws";
import type { KeelConfig } from "./config";

/**
 * production: active-passive across the primary (us-east-1) and DR (us-west-2) regions,
 * a NAT gateway per zone, 90-day flow logs (ops guides: RTO 15 min, RPO 5 min, 99.99 %).
 */
export default function production(config: KeelConfig) {
    return awsEnvironment(config);
}
