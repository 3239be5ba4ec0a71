import { describe } from "node:test";
import { gzipSync } from "node:zlib";
import { computePolicies } from "../policies/rules/compute";
import { edgePolicies } from "../policies/rules/edge";
import { networkPolicies } from "../policies/rules/network";
import type { PlanResource } from "../offline-plan/record";
import { added, inputs, named, redTeam, remove, type Attack } from "./red-team";

/**
 * Network exposure, compute and traffic: realistic bad changes to the production (and staging)
 * plan, each made by editing a copy of the real record the way a careless or hostile pull request
 * would — often without the dependencies a real change would also move — must each be refused.
 */

type Inputs = Record<string, unknown>;

const pack = [...networkPolicies, ...computePolicies, ...edgePolicies];

const rule = (rs: PlanResource[], name: string) => inputs(named(rs, "SecurityGroupIngressRule", name));
/** Rewrites a launch template's (base64) user data as text. */
const editUserData = (rs: PlanResource[], name: string, edit: (text: string) => string, encode = (t: string) => Buffer.from(t).toString("base64")) => {
    const template = inputs(named(rs, "LaunchTemplate", name));
    template.userData = encode(edit(Buffer.from(String(template.userData), "base64").toString("utf8")));
};
/** Adds a line to the application's environment script, as a quick fix would. */
const intoBootScript = (line: string) => (text: string) => text.replace("      cat /etc/keel/app.env > \"$tmp\"\n", `      cat /etc/keel/app.env > "$tmp"\n      ${line}\n`);
const healthCheck = (rs: PlanResource[], name: string) => inputs(named(rs, "HealthCheck", name));
const primaryRecord = (rs: PlanResource[]) => inputs(named(rs, "Record", "app-primary"));

const production: Attack[] = [
    // ---- security groups open to the internet ----
    ["SSH from anywhere to the application instances", "keel-sg-no-internet-ingress", (rs) => {
        Object.assign(rule(rs, "app-scrape-node-group-0"), { cidrIpv4: "0.0.0.0/0", fromPort: 22, toPort: 22, referencedSecurityGroupId: undefined });
    }],
    ["the application port from anywhere instead of from the load balancer", "keel-sg-no-internet-ingress", (rs) => {
        const r = rule(rs, "app-instances-from-alb");
        delete r.referencedSecurityGroupId;
        r.cidrIpv4 = "0.0.0.0/0";
    }],
    ["the load balancer's group opened on every protocol", "keel-sg-no-internet-ingress", (rs) => {
        Object.assign(rule(rs, "app-alb-cloudfront"), { prefixListId: undefined, cidrIpv4: "0.0.0.0/0", ipProtocol: "-1", fromPort: -1, toPort: -1 });
    }],
    ["the load balancer's group opened on 0-65535 to IPv6", "keel-sg-no-internet-ingress", (rs) => {
        Object.assign(rule(rs, "app-alb-cloudfront"), { prefixListId: undefined, cidrIpv6: "::/0", fromPort: 0, toPort: 65535 });
    }],
    ["an admin port on the DR load balancer's group", "keel-sg-no-internet-ingress", (rs) => {
        Object.assign(rule(rs, "app-dr-alb-cloudfront"), { prefixListId: undefined, cidrIpv4: "0.0.0.0/0", fromPort: 8080, toPort: 8080 });
    }],
    ["the database opened to half the internet", "keel-sg-no-internet-ingress", (rs) => {
        rule(rs, "database-dr-network-0").cidrIpv4 = "0.0.0.0/1";
    }],
    ["the private Kubernetes API endpoint opened to the world", "keel-sg-no-internet-ingress", (rs) => {
        rule(rs, "monitoring-deployer-0").cidrIpv4 = "0.0.0.0/0";
    }],
    ["inline ingress from anywhere on the instances' group", "keel-sg-no-internet-ingress", (rs) => {
        inputs(named(rs, "SecurityGroup", "app-instances")).ingress = [{ protocol: "tcp", fromPort: 3000, toPort: 3000, cidrBlocks: ["0.0.0.0/0"] }];
    }],
    ["a legacy SecurityGroupRule opening the database to a broad public range", "keel-sg-no-internet-ingress", (rs) => {
        const group = named(rs, "SecurityGroup", "database-primary");
        rs.push(added(group, "aws:ec2/securityGroupRule:SecurityGroupRule", "database-vendor", { type: "ingress", securityGroupId: "sg-fdfe76321bcc55402", protocol: "tcp", fromPort: 5432, toPort: 5432, cidrBlocks: ["52.0.0.0/8"] }, [group.urn]));
    }],
    ["the load balancer's group, reopened to the internet, attached to the instances", "keel-sg-no-internet-ingress", (rs) => {
        Object.assign(rule(rs, "app-alb-cloudfront"), { prefixListId: undefined, cidrIpv4: "0.0.0.0/0" });
        const alb = inputs(named(rs, "LoadBalancer", "app-alb"));
        const template = inputs(named(rs, "LaunchTemplate", "app"));
        const [eni] = template.networkInterfaces as Inputs[];
        eni.securityGroups = [...(eni.securityGroups as string[]), ...(alb.securityGroups as string[])];
    }],

    // ---- default security groups ----
    ["the default group allowing traffic between members", "keel-default-sg-closed", (rs) => {
        inputs(named(rs, "DefaultSecurityGroup", "primary-default-sg")).ingress = [{ protocol: "-1", fromPort: 0, toPort: 0, self: true }];
    }],
    ["the default group allowing all egress", "keel-default-sg-closed", (rs) => {
        inputs(named(rs, "DefaultSecurityGroup", "dr-default-sg")).egress = [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }];
    }],
    ["the default group no longer adopted (AWS's default rules come back)", "keel-default-sg-closed", (rs) => remove(rs, (r) => r.name === "primary-default-sg")],
    ["a rule resource on the VPC's default security group", "keel-default-sg-closed", (rs) => {
        const vpc = named(rs, "Vpc", "primary-vpc");
        rs.push(added(vpc, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", "default-sg-ssh", { securityGroupId: "sg-00dd00dd00dd00dd0", cidrIpv4: "10.0.0.0/16", ipProtocol: "tcp", fromPort: 22, toPort: 22 }, [vpc.urn]));
    }],

    // ---- flow logs ----
    ["the DR VPC's flow log removed", "keel-vpc-flow-logs", (rs) => remove(rs, (r) => r.type === "aws:ec2/flowLog:FlowLog" && r.name === "dr-flow-logs")],
    ["flow logs of accepted traffic only", "keel-vpc-flow-logs", (rs) => { inputs(named(rs, "FlowLog", "primary-flow-logs")).trafficType = "ACCEPT"; }],
    ["both flow logs pointed at the primary VPC", "keel-vpc-flow-logs", (rs) => {
        inputs(named(rs, "FlowLog", "dr-flow-logs")).vpcId = inputs(named(rs, "FlowLog", "primary-flow-logs")).vpcId;
    }],
    ["a flow log with nowhere to go", "keel-vpc-flow-logs", (rs) => { delete inputs(named(rs, "FlowLog", "primary-flow-logs")).logDestination; }],
    ["a flow log of one subnet instead of the VPC", "keel-vpc-flow-logs", (rs) => {
        const log = inputs(named(rs, "FlowLog", "dr-flow-logs"));
        log.subnetId = inputs(named(rs, "RouteTableAssociation", "dr-private-0")).subnetId;
        delete log.vpcId;
    }],

    // ---- compute in public subnets ----
    ["the application servers moved to the public subnets", "keel-compute-private-subnets", (rs) => {
        inputs(named(rs, "Group", "app")).vpcZoneIdentifiers = inputs(named(rs, "LoadBalancer", "app-alb")).subnets;
    }],
    ["one public subnet added to the DR group", "keel-compute-private-subnets", (rs) => {
        const group = inputs(named(rs, "Group", "app-dr"));
        group.vpcZoneIdentifiers = [...(group.vpcZoneIdentifiers as string[]), (inputs(named(rs, "LoadBalancer", "app-dr-alb")).subnets as string[])[0]];
    }],
    ["a private subnet that maps public IPs", "keel-compute-private-subnets", (rs) => { inputs(named(rs, "Subnet", "primary-private-1")).mapPublicIpOnLaunch = true; }],
    ["a private subnet's default route sent to the internet gateway", "keel-compute-private-subnets", (rs) => {
        const route = inputs(named(rs, "Route", "primary-private-0-internet"));
        delete route.natGatewayId;
        route.gatewayId = (inputs(named(rs, "RouteTable", "primary-public")).routes as Inputs[])[0].gatewayId;
    }],
    ["a private subnet associated with the public route table", "keel-compute-private-subnets", (rs) => {
        inputs(named(rs, "RouteTableAssociation", "dr-private-2")).routeTableId = inputs(named(rs, "RouteTableAssociation", "dr-public-0")).routeTableId;
    }],
    ["a group without subnets (the default VPC)", "keel-compute-private-subnets", (rs) => {
        const group = named(rs, "Group", "app");
        delete inputs(group).vpcZoneIdentifiers;
        inputs(group).availabilityZones = ["us-east-1a", "us-east-1b"];
        group.dependencies.splice(0, group.dependencies.length, ...group.dependencies.filter((d) => !d.includes("aws:ec2/subnet:Subnet")));
    }],

    // ---- credentials in user data ----
    ["an access key pair in the user data", "keel-ec2-user-data-secrets", (rs) => editUserData(rs, "app", intoBootScript("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))],
    ["the database password written into the environment", "keel-ec2-user-data-secrets", (rs) => editUserData(rs, "app", (t) => t.replace("      APP_PORT=3000\n", "      APP_PORT=3000\n      PGPASSWORD=Tr0ub4dor&3\n"))],
    ["a database URL with its password", "keel-ec2-user-data-secrets", (rs) => editUserData(rs, "app-dr", intoBootScript("echo 'DATABASE_URL=postgresql://keel:hunter2@database.internal:5432/keel' >> \"$tmp\""))],
    ["a deploy key in the user data", "keel-ec2-user-data-secrets", (rs) => editUserData(rs, "app", (t) => `${t}bootcmd:\n  - echo '-----BEGIN RSA PRIVATE KEY-----MIIEowIBAAKCAQEA' > /root/.ssh/id_rsa\n`)],
    ["a GitHub token to pull the code", "keel-ec2-user-data-secrets", (rs) => editUserData(rs, "app", intoBootScript("git clone https://ghp_R4nd0mT0k3nV4lu3Abcdef123456@github.com/acme/app /opt/app"))],
    ["a secret hidden in gzipped user data", "keel-ec2-user-data-secrets", (rs) => editUserData(rs, "app", intoBootScript("export SLACK_TOKEN=xoxb-1234567890-abcdefghijkl"), (t) => gzipSync(t).toString("base64"))],
    ["a password in a base64 write_files entry", "keel-ec2-user-data-secrets", (rs) => editUserData(rs, "app-dr", (t) => t.replace("write_files:\n", `write_files:\n  - path: /etc/keel/db.env\n    encoding: b64\n    content: ${Buffer.from("DB_PASSWORD=correct-horse-battery\n").toString("base64")}\n`))],
    ["an Elastic IP on an application instance", "keel-ec2-no-public-ip", (rs) => {
        const template = named(rs, "LaunchTemplate", "app");
        rs.push(added(template, "aws:ec2/eip:Eip", "app-direct", { domain: "vpc", instance: "i-0a1b2c3d4e5f60718" }, []));
    }],

    // ---- the health check behind the failover record ----
    ["the PRIMARY's calculated health check disabled", "keel-route53-failover-health", (rs) => { healthCheck(rs, "app-primary").disabled = true; }],
    ["the endpoint check disabled", "keel-route53-failover-health", (rs) => { healthCheck(rs, "app-primary-endpoint").disabled = true; }],
    ["the endpoint check inverted", "keel-route53-failover-health", (rs) => { healthCheck(rs, "app-primary-endpoint").invertHealthcheck = true; }],
    ["the calculated check satisfied by one child", "keel-route53-failover-health", (rs) => { healthCheck(rs, "app-primary").childHealthThreshold = 1; }],
    ["failure detection slowed beyond the RTO's allowance", "keel-route53-failover-health", (rs) => { Object.assign(healthCheck(rs, "app-primary-endpoint"), { requestInterval: 30, failureThreshold: 5 }); }],
    ["the PRIMARY pointed at a health check outside the stack", "keel-route53-failover-health", (rs) => {
        const record = named(rs, "Record", "app-primary");
        inputs(record).healthCheckId = "0b8e5c1a-1111-4222-8333-944445555666";
        record.dependencies.splice(0, record.dependencies.length, ...record.dependencies.filter((d) => !d.includes("healthCheck")));
    }],
    ["the PRIMARY's health check removed from the stack", "keel-route53-failover-health", (rs) => remove(rs, (r) => r.type === "aws:route53/healthCheck:HealthCheck" && r.name === "app-primary")],
    ["the endpoint check probing another host", "keel-route53-failover-health", (rs) => { healthCheck(rs, "app-primary-endpoint").fqdn = "status.example.com"; }],
    ["failover records replaced by latency records", "keel-route53-failover-health", (rs) => {
        for (const name of ["app-primary", "app-secondary"]) {
            const record = inputs(named(rs, "Record", name));
            delete record.failoverRoutingPolicies;
            delete record.healthCheckId;
            record.latencyRoutingPolicies = [{ region: name === "app-primary" ? "us-east-1" : "us-west-2" }];
        }
    }],
    ["the roles swapped: PRIMARY serves the DR region, judged by the primary's check", "keel-route53-failover-health", (rs) => {
        const primary = primaryRecord(rs);
        const secondary = inputs(named(rs, "Record", "app-secondary"));
        [primary.aliases, secondary.aliases] = [secondary.aliases, primary.aliases];
    }],
];

const staging: Attack[] = [
    ["staging: the load balancer's group opened on every port", "keel-sg-no-internet-ingress", (rs) => { Object.assign(rule(rs, "app-alb-cloudfront"), { prefixListId: undefined, cidrIpv4: "0.0.0.0/0", fromPort: 0, toPort: 65535 }); }],
    ["staging: the database opened to the world", "keel-sg-no-internet-ingress", (rs) => {
        const r = rule(rs, "database-primary-client-0");
        delete r.referencedSecurityGroupId;
        r.cidrIpv4 = "0.0.0.0/0";
    }],
    ["staging: the flow log removed", "keel-vpc-flow-logs", (rs) => remove(rs, (r) => r.type === "aws:ec2/flowLog:FlowLog")],
    ["staging: application servers in the public subnets", "keel-compute-private-subnets", (rs) => {
        inputs(named(rs, "Group", "app")).vpcZoneIdentifiers = inputs(named(rs, "LoadBalancer", "app-alb")).subnets;
    }],
    ["staging: a literal password in the user data", "keel-ec2-user-data-secrets", (rs) => editUserData(rs, "app", intoBootScript("export PGPASSWORD=staging123"))],
];

const clean = "the clean plan passes the network, compute and edge policies";
describe("red team: network exposure, compute and traffic in the production plan", () => redTeam(clean, pack, "production", [], production));
describe("red team: the production plan in DR mode", () => redTeam(clean, pack, "production", ["keel:dr.active=true"], production.filter(([name]) => /DR|default group|flow log|inverted/.test(name))));
describe("red team: network exposure, compute and traffic in the staging plan", () => redTeam(clean, pack, "staging", [], staging));
