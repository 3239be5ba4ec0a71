import { stringify } from "yaml";

/**
 * The cloud-init user data of an application server (Ubuntu, as the guides run): Prometheus
 * node-exporter for the monitoring stack, and the CloudWatch agent publishing memory and
 * disk use — EC2 reports neither, and the memory scaling policy tracks `mem_used_percent`.
 */

/** Where the CloudWatch agent publishes (its default namespace) and the metric memory scaling tracks. */
export const agentNamespace = "CWAgent";
export const memoryMetricName = "mem_used_percent";
const agentConfigPath = "/etc/keel/amazon-cloudwatch-agent.json";

/**
 * The agent's configuration: every series carries the instance's Auto Scaling group, and the
 * agent also publishes the group-wide aggregate (`aggregation_dimensions`), the series a
 * target-tracking policy over the whole group needs.
 */
export const cloudWatchAgentConfig = {
    agent: { metrics_collection_interval: 60 },
    metrics: {
        namespace: agentNamespace,
        append_dimensions: { AutoScalingGroupName: "${aws:AutoScalingGroupName}", InstanceId: "${aws:InstanceId}" },
        aggregation_dimensions: [["AutoScalingGroupName"]],
        metrics_collected: {
            mem: { measurement: [memoryMetricName] },
            disk: { measurement: ["used_percent"], resources: ["/"] },
        },
    },
};

/** Where Ubuntu's prometheus-node-exporter listens (its default `--web.listen-address`). */
export const nodeExporterPort = 9100;

/**
 * `#cloud-config` for Ubuntu on amd64 in `region`. The agent package comes from the region's
 * own download bucket, which private subnets reach through the VPC's S3 gateway endpoint.
 */
export function renderUserData(region: string): string {
    const agentPackage = `https://amazoncloudwatch-agent-${region}.s3.${region}.amazonaws.com/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb`;
    const config = {
        package_update: true,
        // Ubuntu's package runs node-exporter as a service on :9100 (nodeExporterPort).
        packages: ["prometheus-node-exporter"],
        write_files: [{ path: agentConfigPath, permissions: "0644", content: JSON.stringify(cloudWatchAgentConfig, null, 2) }],
        runcmd: [
            ["curl", "--fail", "--silent", "--show-error", "--location", "--retry", "5", "--output", "/tmp/amazon-cloudwatch-agent.deb", agentPackage],
            ["dpkg", "--install", "/tmp/amazon-cloudwatch-agent.deb"],
            ["/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl", "-a", "fetch-config", "-m", "ec2", "-s", "-c", `file:${agentConfigPath}`],
        ],
    };
    return `#cloud-config\n${stringify(config)}`;
}
