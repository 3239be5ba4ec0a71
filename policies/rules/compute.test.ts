import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { PlanResource } from "../../offline-plan/record";
import { east, found, messages, production, resource, runPolicy, staging, west, type Fixture } from "../testing";
import { gzipSync } from "node:zlib";
import { unknownCheckingProxy } from "@pulumi/policy";
import { renderUserData } from "../../components/traffic/user-data";
import { computePolicies, encryptedVolumes, groupCapacity, groupHealthChecks, groupScaling, imdsV2, noPublicIp, userDataSecrets } from "./compute";

const launchTemplateType = "aws:ec2/launchTemplate:LaunchTemplate";
const instanceType = "aws:ec2/instance:Instance";
const groupType = "aws:autoscaling/group:Group";
const scalingPolicyType = "aws:autoscaling/policy:Policy";

/**
 * A launch template as components/traffic/autoscaled-service.ts builds it. The AWS provider
 * takes the template's booleans as strings ("true"/"false").
 */
function launchTemplate(changes: Record<string, unknown> = {}, name = "web"): Fixture {
    const inputs = {
        imageId: "ami-0c7217cdde317cfec",
        instanceType: "t3.medium",
        updateDefaultVersion: true,
        iamInstanceProfile: { arn: "arn:aws:iam::123456789012:instance-profile/web-instances-4d1c2b9" },
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" },
        monitoring: { enabled: true },
        networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "false", securityGroups: ["sg-0a1b2c3d4e5f60718"], deleteOnTermination: "true" }],
        blockDeviceMappings: [{ deviceName: "/dev/sda1", ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true", deleteOnTermination: "true" } }],
        ...changes,
    };
    return resource(launchTemplateType, inputs, { name, provider: east });
}

/** A stand-alone EC2 instance (booleans are booleans here). */
function instance(changes: Record<string, unknown> = {}, name = "bastion"): Fixture {
    const inputs = {
        ami: "ami-0c7217cdde317cfec",
        instanceType: "t3.micro",
        subnetId: "subnet-0a1b2c3d4e5f60718",
        associatePublicIpAddress: false,
        metadataOptions: { httpEndpoint: "enabled", httpTokens: "required" },
        rootBlockDevice: { volumeType: "gp3", volumeSize: 8, encrypted: true },
        ...changes,
    };
    return resource(instanceType, inputs, { name, provider: east });
}

function group(changes: Record<string, unknown> = {}, options: { name?: string; provider?: PlanResource } = {}): Fixture {
    const inputs = {
        vpcZoneIdentifiers: ["subnet-0a1", "subnet-0a2"],
        minSize: 2,
        maxSize: 6,
        desiredCapacity: 2,
        targetGroupArns: ["arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web-tg-3c1d2e4/0123456789abcdef"],
        healthCheckType: "ELB",
        healthCheckGracePeriod: 300,
        launchTemplate: { id: "lt-0a1b2c3d4e5f60718", version: "1" },
        ...changes,
    };
    return resource(groupType, inputs, { name: options.name ?? "web", provider: options.provider ?? east });
}

/** A target tracking policy of a group: `autoscalingGroupName` is the group's output, so it depends on the group. */
function scalingPolicy(target: PlanResource | undefined, name = "web-cpu"): Fixture {
    const inputs = {
        autoscalingGroupName: "web-5e6f7a8",
        policyType: "TargetTrackingScaling",
        targetTrackingConfiguration: { targetValue: 70, disableScaleIn: true, predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" } },
    };
    return resource(scalingPolicyType, inputs, { name, provider: east, dependsOn: target ? [target] : [] });
}

describe("compute policies", () => {
    test("an AutoscaledService's template, group and scaling policy, and a hardened instance, pass every policy under every config", async () => {
        const web = group();
        const plan = [launchTemplate(), web, scalingPolicy(web.resource), instance(), resource("aws:ebs/volume:Volume", { availabilityZone: "us-east-1a", size: 50, encrypted: true }, { name: "data", provider: east })];
        for (const [environment, config] of [["default", {}], ["staging", staging], ["production", production]] as const) {
            for (const policy of computePolicies) assert.deepEqual(await found(policy, plan, config), [], `${policy.name} under ${environment}`);
        }
    });
});

describe("keel-ec2-imdsv2", () => {
    test("passes templates and instances that require session tokens", async () => {
        assert.deepEqual(await found(imdsV2, [launchTemplate(), instance()]), []);
    });

    test("refuses optional tokens and an unset metadata configuration", async () => {
        const violations = await runPolicy(imdsV2, [launchTemplate({ metadataOptions: { httpEndpoint: "enabled", httpTokens: "optional" } }), instance({ metadataOptions: undefined })]);
        assert.deepEqual(messages(violations), [
            'LaunchTemplate "web" does not require IMDSv2 (metadataOptions.httpTokens is optional)',
            'Instance "bastion" does not require IMDSv2 (metadataOptions.httpTokens is unset)',
        ]);
        assert.deepEqual(violations.map((v) => v.urn), ["urn:pulumi:test::keel::aws:ec2/launchTemplate:LaunchTemplate::web", "urn:pulumi:test::keel::aws:ec2/instance:Instance::bastion"]);
        assert.deepEqual(await found(imdsV2, [launchTemplate({ metadataOptions: { httpEndpoint: "enabled" } })]), ['LaunchTemplate "web" does not require IMDSv2 (metadataOptions.httpTokens is unset)']);
    });

    test("does not judge other types", async () => {
        assert.deepEqual(await found(imdsV2, [group(), resource("aws:ebs/volume:Volume", { availabilityZone: "us-east-1a", size: 8 }, { provider: east })]), []);
    });

    test("judges launch configurations and spot instance requests too", async () => {
        const legacy = resource("aws:ec2/launchConfiguration:LaunchConfiguration", { imageId: "ami-0c7217cdde317cfec", instanceType: "t3.micro" }, { name: "legacy", provider: east });
        const spot = resource("aws:ec2/spotInstanceRequest:SpotInstanceRequest", { ami: "ami-0c7217cdde317cfec", instanceType: "t3.micro", metadataOptions: { httpTokens: "optional" } }, { name: "spot", provider: east });
        assert.deepEqual(await found(imdsV2, [legacy, spot]), [
            'LaunchConfiguration "legacy" does not require IMDSv2 (metadataOptions.httpTokens is unset)',
            'SpotInstanceRequest "spot" does not require IMDSv2 (metadataOptions.httpTokens is optional)',
        ]);
    });

    test("enabled: false turns it off", async () => {
        const optional = [instance({ metadataOptions: { httpTokens: "optional" } })];
        assert.equal((await found(imdsV2, optional, { "keel-ec2-imdsv2": { enabled: true } })).length, 1);
        assert.deepEqual(await found(imdsV2, optional, { "keel-ec2-imdsv2": { enabled: false } }), []);
    });
});

describe("keel-ec2-encrypted-volumes", () => {
    const volume = (inputs: Record<string, unknown>) => resource("aws:ebs/volume:Volume", { availabilityZone: "us-east-1a", size: 50, ...inputs }, { name: "data", provider: east });

    test("passes encrypted EBS volumes, template disks (encrypted \"true\") and instance root volumes", async () => {
        assert.deepEqual(await found(encryptedVolumes, [volume({ encrypted: true }), launchTemplate(), instance()]), []);
    });

    test("refuses an unencrypted EBS volume", async () => {
        assert.deepEqual(await found(encryptedVolumes, [volume({ encrypted: false })]), ['Volume "data" has an unencrypted volume']);
        assert.deepEqual(await found(encryptedVolumes, [volume({})]), ['Volume "data" has an unencrypted volume']);
    });

    test("refuses a template disk whose encrypted is \"false\" or unset, naming each device", async () => {
        const blockDeviceMappings = [
            { deviceName: "/dev/sda1", ebs: { volumeType: "gp3", volumeSize: 20, encrypted: "true" } },
            { deviceName: "/dev/sdf", ebs: { volumeType: "gp3", volumeSize: 100, encrypted: "false" } },
            { deviceName: "/dev/sdg", ebs: { volumeType: "gp3", volumeSize: 100 } },
        ];
        assert.deepEqual(await found(encryptedVolumes, [launchTemplate({ blockDeviceMappings })]), [
            'LaunchTemplate "web" has an unencrypted volume /dev/sdf',
            'LaunchTemplate "web" has an unencrypted volume /dev/sdg',
        ]);
    });

    test("refuses a template without block device mappings: the AMI's default root volume", async () => {
        for (const blockDeviceMappings of [undefined, []]) {
            assert.deepEqual(await found(encryptedVolumes, [launchTemplate({ blockDeviceMappings })]), ['LaunchTemplate "web" has an unencrypted root volume (no block device mapping: the AMI\'s default)']);
        }
    });

    test("refuses an instance whose root volume is not encrypted", async () => {
        assert.deepEqual(await found(encryptedVolumes, [instance({ rootBlockDevice: { volumeType: "gp3", volumeSize: 8, encrypted: false } })]), ['Instance "bastion" has an unencrypted root volume']);
        assert.deepEqual(await found(encryptedVolumes, [instance({ rootBlockDevice: undefined })]), ['Instance "bastion" has an unencrypted root volume']);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(encryptedVolumes, [volume({ encrypted: false })], { "keel-ec2-encrypted-volumes": { enabled: false } }), []);
    });
});

describe("keel-ec2-no-public-ip", () => {
    test("passes templates whose interface associates no public IP (\"false\" or unset) and private instances", async () => {
        const unset = launchTemplate({ networkInterfaces: [{ deviceIndex: 0, securityGroups: ["sg-0a1"] }] }, "unset");
        assert.deepEqual(await found(noPublicIp, [launchTemplate(), unset, launchTemplate({ networkInterfaces: undefined }, "none"), instance(), instance({ associatePublicIpAddress: undefined }, "default")]), []);
    });

    test("refuses a template interface with associatePublicIpAddress \"true\" and an instance with a public IP", async () => {
        const publicTemplate = launchTemplate({ networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "true", securityGroups: ["sg-0a1"] }] });
        assert.deepEqual(await found(noPublicIp, [publicTemplate, instance({ associatePublicIpAddress: true })]), [
            'LaunchTemplate "web" associates a public IP address',
            'Instance "bastion" associates a public IP address',
        ]);
    });

    test("refuses an Elastic IP on an instance or interface and a launch configuration's public IP; passes a NAT gateway's Elastic IP", async () => {
        const nat = resource("aws:ec2/eip:Eip", { domain: "vpc" }, { name: "nat", provider: east });
        const onInstance = resource("aws:ec2/eip:Eip", { domain: "vpc", instance: "i-0a1b2c3d4e5f60718" }, { name: "web-ip", provider: east });
        const association = resource("aws:ec2/eipAssociation:EipAssociation", { allocationId: "eipalloc-0a1b2c3d", networkInterfaceId: "eni-0a1b2c3d4e5f60718" }, { name: "web-eni-ip", provider: east });
        const legacy = resource("aws:ec2/launchConfiguration:LaunchConfiguration", { imageId: "ami-0c7217cdde317cfec", instanceType: "t3.micro", associatePublicIpAddress: true }, { name: "legacy", provider: east });
        assert.deepEqual(await found(noPublicIp, [nat, onInstance, association, legacy]), [
            'Eip "web-ip" associates a public IP address',
            'EipAssociation "web-eni-ip" associates a public IP address',
            'LaunchConfiguration "legacy" associates a public IP address',
        ]);
    });

    test("judges every interface of a template", async () => {
        const second = launchTemplate({ networkInterfaces: [{ deviceIndex: 0, associatePublicIpAddress: "false" }, { deviceIndex: 1, associatePublicIpAddress: "true" }] });
        assert.deepEqual(await found(noPublicIp, [second]), ['LaunchTemplate "web" associates a public IP address']);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(noPublicIp, [instance({ associatePublicIpAddress: true })], { "keel-ec2-no-public-ip": { enabled: false } }), []);
    });
});

describe("keel-asg-minimum-capacity", () => {
    test("requires nothing by default or in staging", async () => {
        for (const config of [{}, staging]) assert.deepEqual(await found(groupCapacity, [group({ minSize: 0 })], config), []);
    });

    test("production keeps at least 2 instances in us-east-1", async () => {
        assert.deepEqual(await found(groupCapacity, [group({ minSize: 2 })], production), []);
        const violations = await runPolicy(groupCapacity, [group({ minSize: 1 })], production);
        assert.deepEqual(messages(violations), ['Group "web" keeps 1 instances minimum in us-east-1; at least 2 required']);
        assert.equal(violations[0].urn, "urn:pulumi:test::keel::aws:autoscaling/group:Group::web");
    });

    test("production does not judge a group outside its serving regions (the DR region's warm standby)", async () => {
        assert.deepEqual(await found(groupCapacity, [group({ minSize: 0 }, { name: "web-dr", provider: west })], production), []);
    });

    test("reads the group's own region input before the provider's", async () => {
        assert.deepEqual(await found(groupCapacity, [group({ minSize: 1, region: "us-west-2" })], production), []);
        assert.deepEqual(await found(groupCapacity, [group({ minSize: 1, region: "us-east-1" }, { provider: west })], production), ['Group "web" keeps 1 instances minimum in us-east-1; at least 2 required']);
    });

    test("without regions, judges groups everywhere, even where the region is unknown", async () => {
        const everywhere = { "keel-asg-minimum-capacity": { minSize: 3 } };
        const nowhere = resource(groupType, { minSize: 1, maxSize: 2 }, { name: "nowhere" });
        assert.deepEqual(await found(groupCapacity, [group({ minSize: 2 }, { name: "web-dr", provider: west }), nowhere], everywhere), [
            'Group "web-dr" keeps 2 instances minimum in us-west-2; at least 3 required',
            'Group "nowhere" keeps 1 instances minimum in its region; at least 3 required',
        ]);
    });

    test("with regions, does not judge a group whose region is unknown", async () => {
        assert.deepEqual(await found(groupCapacity, [resource(groupType, { minSize: 0, maxSize: 2 }, { name: "nowhere" })], production), []);
    });
});

describe("keel-asg-elb-health-checks", () => {
    test("passes a group behind a target group with ELB health checks, and a group behind none with EC2 checks", async () => {
        assert.deepEqual(await found(groupHealthChecks, [group(), group({ targetGroupArns: undefined, healthCheckType: "EC2" }, { name: "workers" })]), []);
    });

    test("refuses a group behind a load balancer that uses EC2 health checks", async () => {
        assert.deepEqual(await found(groupHealthChecks, [group({ healthCheckType: "EC2" })]), ['Group "web" is behind a load balancer but uses EC2 health checks']);
        assert.deepEqual(await found(groupHealthChecks, [group({ healthCheckType: undefined })]), ['Group "web" is behind a load balancer but uses EC2 health checks']);
    });

    test("counts traffic sources as a load balancer", async () => {
        const trafficSources = [{ identifier: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/web/0123456789abcdef", type: "elbv2" }];
        assert.deepEqual(await found(groupHealthChecks, [group({ targetGroupArns: undefined, trafficSources, healthCheckType: "EC2" })]), ['Group "web" is behind a load balancer but uses EC2 health checks']);
        assert.deepEqual(await found(groupHealthChecks, [group({ targetGroupArns: [], trafficSources, healthCheckType: "ELB" })]), []);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(groupHealthChecks, [group({ healthCheckType: "EC2" })], { "keel-asg-elb-health-checks": { enabled: false } }), []);
    });
});

describe("keel-asg-scaling-policy", () => {
    test("is not required by default or in staging", async () => {
        for (const config of [{}, staging]) assert.deepEqual(await found(groupScaling, [group()], config), []);
    });

    test("production passes a group with a scaling policy that depends on it", async () => {
        const web = group();
        assert.deepEqual(await found(groupScaling, [web, scalingPolicy(web.resource)], production), []);
    });

    test("production refuses a group without a scaling policy, reported on the group", async () => {
        const web = group();
        const violations = await runPolicy(groupScaling, [web], production);
        assert.deepEqual(messages(violations), ['Auto Scaling group "web" has no scaling policy']);
        assert.equal(violations[0].urn, web.resource.urn);
    });

    test("matches policies to groups through their dependencies, not by presence", async () => {
        const web = group();
        const workers = group({ targetGroupArns: undefined }, { name: "workers" });
        const plan = [web, workers, scalingPolicy(web.resource, "web-cpu"), scalingPolicy(web.resource, "web-memory")];
        assert.deepEqual(await found(groupScaling, plan, production), ['Auto Scaling group "workers" has no scaling policy']);
        assert.deepEqual(await found(groupScaling, [web, scalingPolicy(undefined)], production), ['Auto Scaling group "web" has no scaling policy'], "a policy of no group in the plan");
    });

    test("counts only scaling policies: an alarm that depends on the group is none", async () => {
        const web = group();
        const alarm = resource("aws:cloudwatch/metricAlarm:MetricAlarm", { metricName: "CPUUtilization", dimensions: { AutoScalingGroupName: "web-5e6f7a8" } }, { name: "web-cpu", provider: east, dependsOn: [web.resource] });
        assert.deepEqual(await found(groupScaling, [web, alarm], production), ['Auto Scaling group "web" has no scaling policy']);
    });
});

describe("keel-ec2-user-data-secrets", () => {
    const base64 = (text: string) => Buffer.from(text).toString("base64");
    /** Keel's own user data (components/traffic/user-data.ts): the database credentials are read from Secrets Manager at every start. */
    const keelUserData = renderUserData("us-east-1", {
        port: 3000,
        image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2",
        registryLogin: { registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", region: "us-east-1" },
        environment: { LOG_LEVEL: "info" },
        databaseSecret: { arn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:database-credentials-f9305b", region: "us-east-1" },
    });
    const template = (userData: string) => launchTemplate({ userData: base64(userData) });
    const script = (lines: string) => `#!/bin/bash\nset -euo pipefail\n${lines}\n`;
    const refused = (name: string, kinds: string) => `LaunchTemplate "${name}" has credentials in its user data (${kinds}): anyone who can describe it, and every process on the instance, reads them — fetch them at boot from Secrets Manager with the instance role (Checkov CKV_AWS_46)`;

    test("passes Keel's user data (secrets read at boot, jq expansions, ECR login from stdin) and the usual IMDSv2 token dance", async () => {
        const imds = script('TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H "X-aws-ec2-metadata-token-ttl-seconds: 21600")\ncurl -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/');
        const references = script('export PGPASSWORD="$(aws secretsmanager get-secret-value --secret-id db --query SecretString --output text | jq -r .password)"\nDATABASE_URL="postgresql://app:${PGPASSWORD}@db:5432/app"');
        assert.deepEqual(await found(userDataSecrets, [template(keelUserData), instance({ userData: imds }), instance({ userData: references }, "worker"), launchTemplate({ userData: undefined }, "empty")]), []);
    });

    test("refuses access keys, secret keys, private keys and tokens, naming what it found but never the value", async () => {
        const cases: [string, string][] = [
            [script("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE"), "an AWS access key ID (AKIA/ASIA…)"],
            [script("aws configure set aws_secret_access_key wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"), "an AWS secret access key"],
            [script("cat > /root/.ssh/id_ed25519 <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\nEOF"), "a private key"],
            [script("git clone https://x:ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/acme/app"), "a GitHub token; a URL with a password (user:password@host)"],
            [script("curl -H 'Authorization: Bearer xoxb-123456789012-abcdefghijkl' https://slack.com/api"), "a Slack token or webhook"],
            [script("git clone https://gitlab.com/acme/app --config http.extraHeader=PRIVATE-TOKEN:glpat-xxxxxxxxxxxxxxxxxxxx"), "a GitLab token; a password, secret or token given as a literal value"],
        ];
        for (const [userData, kinds] of cases) assert.deepEqual(await found(userDataSecrets, [template(userData)]), [refused("web", kinds)], kinds);
        const violations = await runPolicy(userDataSecrets, [template(cases[0][0])]);
        assert.ok(!violations[0].message.includes("AKIAIOSFODNN7EXAMPLE"), "the key itself stays out of the message");
    });

    test("refuses literal passwords: variables, settings, cloud-init users, URLs and command lines", async () => {
        const literal = "a password, secret or token given as a literal value";
        const cases: [string, string][] = [
            [script("export PGPASSWORD=hunter2\npsql -h db -U app"), literal],
            [script("echo 'DB_PASSWORD=\"s3cr3t\"' >> /etc/app.env"), literal],
            ['#cloud-config\nusers:\n  - name: admin\n    plain_text_passwd: hunter2\n', literal],
            ['#cloud-config\nusers:\n  - name: admin\n    passwd: $6$rounds=4096$saltsalt$hashhashhash\n', literal],
            [script("DATABASE_URL=postgres://app:hunter2@db.internal:5432/app"), "a URL with a password (user:password@host)"],
            [script("echo 'root:hunter2' | chpasswd"), "a password piped to chpasswd"],
            [script("redis-cli --pass hunter2 ping"), "a password passed on a command line"],
        ];
        for (const [userData, kinds] of cases) assert.deepEqual(await found(userDataSecrets, [template(userData)]), [refused("web", kinds)], userData);
    });

    test("decodes what cloud-init decodes: base64 and gzip user data, and b64 or gz+b64 write_files content", async () => {
        const secret = script("export PGPASSWORD=hunter2");
        const gzipped = launchTemplate({ userData: gzipSync(secret).toString("base64") });
        const nested = template(`#cloud-config\nwrite_files:\n  - path: /etc/app.env\n    encoding: gz+b64\n    content: ${gzipSync("API_TOKEN=abcd1234efgh\n").toString("base64")}\n`);
        const literal = "a password, secret or token given as a literal value";
        assert.deepEqual(await found(userDataSecrets, [gzipped]), [refused("web", literal)]);
        assert.deepEqual(await found(userDataSecrets, [nested]), [refused("web", literal)]);
    });

    test("judges instances' userData and userDataBase64, launch configurations and spot fleets", async () => {
        const key = script("export AWS_ACCESS_KEY_ID=ASIAIOSFODNN7EXAMPLE");
        const plain = instance({ userData: key }, "plain");
        const encoded = instance({ userDataBase64: base64(key) }, "encoded");
        const legacy = resource("aws:ec2/launchConfiguration:LaunchConfiguration", { imageId: "ami-0c7217cdde317cfec", instanceType: "t3.micro", userData: key }, { name: "legacy", provider: east });
        const fleet = resource("aws:ec2/spotFleetRequest:SpotFleetRequest", { iamFleetRole: "arn:aws:iam::123456789012:role/fleet", targetCapacity: 2, launchSpecifications: [{ ami: "ami-0c7217cdde317cfec", instanceType: "t3.micro", userData: key }] }, { name: "fleet", provider: east });
        assert.deepEqual((await found(userDataSecrets, [plain, encoded, legacy, fleet])).map((m) => m.split(" has ")[0]), ['Instance "plain"', 'Instance "encoded"', 'LaunchConfiguration "legacy"', 'SpotFleetRequest "fleet"']);
    });

    test("does not judge user data the engine does not know yet", async () => {
        const previewed = launchTemplate({ userData: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" });
        const record = { ...previewed.resource, inputs: unknownCheckingProxy(previewed.resource.inputs) as Record<string, unknown> };
        assert.deepEqual(await found(userDataSecrets, [record]), []);
    });

    test("enabled: false turns it off", async () => {
        assert.deepEqual(await found(userDataSecrets, [template(script("export PGPASSWORD=hunter2"))], { "keel-ec2-user-data-secrets": { enabled: false } }), []);
    });
});
