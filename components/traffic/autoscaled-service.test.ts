import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { parse } from "yaml";
import type { PlanRecord } from "../../offline-plan/engine";
import type { PlanResource } from "../../offline-plan/record";
import { arnOf, childrenOf, idOf, json, list, mockOf, object, ofType, only, planComponents, text, texts, refusedArguments } from "../../tests/plans";
import { AlbLogBucket } from "./alb-log-bucket";
import { AutoscaledService, modernTlsPolicy, type AutoscaledServiceArgs } from "./autoscaled-service";
import { ubuntu2204AmiParameter } from "./settings";
import { nodeExporterPort } from "./user-data";

const types = {
    group: "aws:autoscaling/group:Group",
    policy: "aws:autoscaling/policy:Policy",
    template: "aws:ec2/launchTemplate:LaunchTemplate",
    listener: "aws:lb/listener:Listener",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    egress: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    certificate: "aws:acm/certificate:Certificate",
    validation: "aws:acm/certificateValidation:CertificateValidation",
    record: "aws:route53/record:Record",
} as const;

const tags = { environment: "test", service: "keel", owner: "platform", "managed-by": "pulumi" };
const network = {
    vpcId: "vpc-0123456789abcdef0",
    publicSubnetIds: ["subnet-public-a", "subnet-public-b", "subnet-public-c"],
    privateSubnetIds: ["subnet-private-a", "subnet-private-b", "subnet-private-c"],
};
const database = { securityGroupId: "sg-database000000001", port: 5432 };
const image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2";
const secretArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:database-credentials-Ab12Cd";

function baseArgs(overrides: Partial<AutoscaledServiceArgs> = {}): AutoscaledServiceArgs {
    return {
        ...network,
        instanceType: "c6i.large",
        minSize: 2,
        maxSize: 4,
        certificate: { domainName: "app.example.com", zoneId: "Z0123456789ABC" },
        application: { image },
        tags,
        ...overrides,
    };
}

/** The recorded child of `service` of a type and name. */
const childOf = (record: PlanRecord, service: string, type: string, name: string): PlanResource => {
    const parent = only(record, "keel:traffic:AutoscaledService", service);
    const found = childrenOf(record, parent).filter((r) => r.type === type && r.name === name);
    assert.equal(found.length, 1, `${type} ${name} under ${service}`);
    return found[0];
};

describe("AutoscaledService with spot, request-count scaling, a database and access logs", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags } });
            const logs = new AlbLogBucket("alb-logs", { expireAfterDays: 30 }, { provider });
            const service = new AutoscaledService("web", baseArgs({
                scaling: { cpuTargetPercent: 70, memoryTargetPercent: 80, requestsPerTarget: 1000, instanceWarmupSeconds: 300, scaleInCooldownSeconds: 600 },
                spot: { alternativeInstanceTypes: ["c6a.large", "c5.large"], onDemandBaseCapacity: 1 },
                database,
                application: { image, environment: { NODE_ENV: "production", LOG_LEVEL: "info" }, databaseSecret: { arn: secretArn } },
                accessLogs: logs,
                deletionProtection: true,
                appPort: 8080,
            }), { provider });
            return {
                logsBucket: logs.bucketName,
                asg: service.autoScalingGroupName,
                dnsName: service.loadBalancerDnsName,
                zoneId: service.loadBalancerZoneId,
                certificateArn: service.certificateArn,
                validationFqdns: service.certificateValidationFqdns,
                instanceSg: service.instanceSecurityGroupId,
                albSg: service.albSecurityGroupId,
            };
        });
    });
    const child = (type: string, name: string) => childOf(record, "web", type, name);

    test("the load balancer is internet-facing in the public subnets, drops invalid headers, is protected and logs", () => {
        const lb = child(types.loadBalancer, "web-alb");
        assert.deepEqual([lb.inputs.loadBalancerType, lb.inputs.internal, lb.inputs.dropInvalidHeaderFields, lb.inputs.enableDeletionProtection], ["application", false, true, true]);
        assert.deepEqual(lb.inputs.subnets, network.publicSubnetIds);
        assert.deepEqual(lb.inputs.securityGroups, [record.outputs.albSg]);
        assert.deepEqual(lb.inputs.accessLogs, { bucket: record.outputs.logsBucket, prefix: "alb", enabled: true });
        assert.equal(record.outputs.zoneId, "Z35SXDOTRQ7X7K");
        assert.match(text(record.outputs.dnsName, "dnsName"), /\.us-east-1\.elb\.amazonaws\.com$/);
    });

    test("HTTPS forwards with a modern TLS policy and the validated certificate; HTTP only redirects to HTTPS", () => {
        const https = child(types.listener, "web-https");
        assert.deepEqual([https.inputs.protocol, https.inputs.port, https.inputs.sslPolicy], ["HTTPS", 443, modernTlsPolicy]);
        assert.equal(modernTlsPolicy, "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09");
        assert.equal(https.inputs.certificateArn, record.outputs.certificateArn);
        assert.deepEqual(https.inputs.defaultActions, [{ type: "forward", targetGroupArn: arnOf(child(types.targetGroup, "web-tg")) }]);
        const http = child(types.listener, "web-http");
        assert.deepEqual([http.inputs.protocol, http.inputs.port, http.inputs.certificateArn, http.inputs.sslPolicy], ["HTTP", 80, undefined, undefined]);
        assert.deepEqual(http.inputs.defaultActions, [{ type: "redirect", redirect: { protocol: "HTTPS", port: "443", statusCode: "HTTP_301" } }]);
        assert.equal(ofType(record, types.listener).length, 2);
    });

    test("the target group checks /health on the application port", () => {
        const tg = child(types.targetGroup, "web-tg");
        assert.deepEqual([tg.inputs.port, tg.inputs.protocol, tg.inputs.targetType, tg.inputs.vpcId], [8080, "HTTP", "instance", network.vpcId]);
        assert.deepEqual(tg.inputs.healthCheck, { enabled: true, protocol: "HTTP", port: "traffic-port", path: "/health", matcher: "200", interval: 15, timeout: 5, healthyThreshold: 2, unhealthyThreshold: 3 });
    });

    test("the certificate is DNS-validated through a record in the zone", () => {
        const certificate = child(types.certificate, "web-cert");
        assert.deepEqual([certificate.inputs.domainName, certificate.inputs.validationMethod], ["app.example.com", "DNS"]);
        const validationRecord = child(types.record, "web-cert-validation");
        assert.equal(validationRecord.inputs.zoneId, "Z0123456789ABC");
        assert.equal(validationRecord.inputs.type, "CNAME");
        assert.match(text(validationRecord.inputs.name, "record name"), /^_[0-9a-f]{32}\.app\.example\.com\.$/);
        assert.match(texts(validationRecord.inputs.records, "records")[0], /\.acm-validations\.aws\.$/);
        const validation = child(types.validation, "web-cert");
        assert.equal(validation.inputs.certificateArn, arnOf(certificate));
        assert.deepEqual(validation.inputs.validationRecordFqdns, record.outputs.validationFqdns);
        assert.deepEqual(record.outputs.validationFqdns, [text(validationRecord.inputs.name, "name").replace(/\.$/, "")]);
    });

    test("security groups: the ALB takes 443 and 80 from anywhere; instances take only the app port from the ALB", () => {
        const albSg = text(record.outputs.albSg, "albSg");
        const instanceSg = text(record.outputs.instanceSg, "instanceSg");
        const rules = (type: string) => ofType(record, type).map((r) => [r.inputs.securityGroupId, r.inputs.fromPort, r.inputs.toPort, r.inputs.cidrIpv4 ?? r.inputs.referencedSecurityGroupId]).sort();
        assert.deepEqual(rules(types.ingress), [
            [albSg, 443, 443, "0.0.0.0/0"],
            [albSg, 80, 80, "0.0.0.0/0"],
            [instanceSg, 8080, 8080, albSg],
            [database.securityGroupId, 5432, 5432, instanceSg],
        ].sort());
        assert.deepEqual(rules(types.egress), [
            [albSg, 8080, 8080, instanceSg],
            [instanceSg, 443, 443, "0.0.0.0/0"],
            [instanceSg, 80, 80, "0.0.0.0/0"],
            [instanceSg, 5432, 5432, database.securityGroupId],
        ].sort());
        for (const rule of [...ofType(record, types.ingress), ...ofType(record, types.egress)]) assert.equal(rule.inputs.ipProtocol, "tcp", rule.name);
    });

    test("the launch template: AMI from SSM, IMDSv2 only, detailed monitoring, no public IP, encrypted gp3 root", () => {
        const template = child(types.template, "web");
        assert.match(text(template.inputs.imageId, "imageId"), /^ami-[0-9a-f]{17}$/);
        assert.deepEqual(template.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1, instanceMetadataTags: "disabled" });
        assert.deepEqual(template.inputs.monitoring, { enabled: true });
        assert.deepEqual(template.inputs.networkInterfaces, [{ deviceIndex: 0, associatePublicIpAddress: "false", securityGroups: [record.outputs.instanceSg], deleteOnTermination: "true" }]);
        assert.deepEqual(template.inputs.blockDeviceMappings, [{ deviceName: "/dev/sda1", ebs: { volumeType: "gp3", volumeSize: 100, encrypted: "true", deleteOnTermination: "true" } }]);
        assert.equal(object(template.inputs.iamInstanceProfile, "profile").arn, arnOf(child("aws:iam/instanceProfile:InstanceProfile", "web-instances")));
        const userData = parse(Buffer.from(text(template.inputs.userData, "userData"), "base64").toString()) as { packages: string[]; runcmd: string[][] };
        assert.deepEqual(userData.packages, ["prometheus-node-exporter", "docker.io", "awscli", "jq"]);
        assert.match(userData.runcmd[0].at(-1) ?? "", /amazoncloudwatch-agent-us-east-1\.s3\.us-east-1\.amazonaws\.com/);
    });

    test("the instances run the image under systemd on the app port, with its environment and the database secret read at start", () => {
        const template = child(types.template, "web");
        const userData = parse(Buffer.from(text(template.inputs.userData, "userData"), "base64").toString()) as { write_files: { path: string; permissions: string; content: string }[]; runcmd: string[][] };
        const file = (path: string) => {
            const found = userData.write_files.find((f) => f.path === path);
            assert.ok(found, path);
            return found;
        };
        const unit = file("/etc/systemd/system/keel-app.service").content;
        assert.match(unit, /^ExecStart=\/usr\/bin\/docker run --rm --name keel-app --publish 8080:8080 --env-file \/run\/keel\/app\.env --log-driver journald 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com\/keel-app:1\.4\.2$/m);
        assert.match(unit, /^Restart=always$/m);
        assert.match(unit, /^StartLimitIntervalSec=0$/m);
        assert.doesNotMatch(unit, /--restart/);
        assert.deepEqual(unit.match(/^ExecStartPre=.*$/gm), [
            "ExecStartPre=/usr/local/lib/keel/app-env",
            "ExecStartPre=/usr/local/lib/keel/registry-login",
            "ExecStartPre=-/usr/bin/docker rm --force keel-app",
            `ExecStartPre=/usr/bin/docker pull ${image}`,
        ]);
        assert.deepEqual(userData.runcmd.slice(-2), [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "--no-block", "keel-app.service"]]);
        assert.deepEqual(file("/etc/keel/app.env"), { path: "/etc/keel/app.env", permissions: "0600", content: "NODE_ENV=production\nLOG_LEVEL=info\nAPP_PORT=8080\nPORT=8080\n" });
        const script = file("/usr/local/lib/keel/app-env");
        assert.equal(script.permissions, "0700");
        assert.match(script.content, new RegExp(`aws secretsmanager get-secret-value --region us-east-1 --secret-id '${secretArn}' --query SecretString --output text`));
        assert.match(script.content, /"DATABASE_URL=postgresql:\/\/\\\(\.username\|@uri\):\\\(\.password\|@uri\)@\\\(\.host\)/);
        assert.match(file("/usr/local/lib/keel/registry-login").content, /aws ecr get-login-password --region us-east-1 \| docker login --username AWS --password-stdin 123456789012\.dkr\.ecr\.us-east-1\.amazonaws\.com$/m);
        // The secret's value is never in the user data: only its ARN.
        assert.doesNotMatch(Buffer.from(text(template.inputs.userData, "userData"), "base64").toString(), /password"|PGPASSWORD=[^\\]/);
    });

    test("the instance role has SSM, the CloudWatch agent, the image's repository and the database secret, nothing more", () => {
        const attached = ofType(record, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").map((a) => a.inputs.policyArn).sort();
        assert.deepEqual(attached, ["arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy"]);
        const trust = json(child("aws:iam/role:Role", "web-instances").inputs.assumeRolePolicy, "trust");
        assert.deepEqual(trust.Statement, [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }]);
        const policy = child("aws:iam/rolePolicy:RolePolicy", "web-application");
        assert.equal(policy.inputs.role, idOf(child("aws:iam/role:Role", "web-instances")));
        assert.deepEqual(json(policy.inputs.policy, "policy").Statement, [
            { Sid: "EcrAuthorizationToken", Effect: "Allow", Action: "ecr:GetAuthorizationToken", Resource: "*" },
            { Sid: "EcrPullApplicationImage", Effect: "Allow", Action: ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], Resource: "arn:aws:ecr:us-east-1:123456789012:repository/keel-app" },
            { Sid: "ReadDatabaseSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn },
            {
                Sid: "DecryptDatabaseSecret",
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: "arn:aws:kms:us-east-1:123456789012:key/*",
                Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com", "kms:EncryptionContext:SecretARN": secretArn } },
            },
        ]);
        // Instances launch only once the role may pull the image and read the secret.
        assert.ok(child(types.template, "web").dependencies.includes(policy.urn));
    });

    test("the group spans the private subnets with ELB health checks, a warmup, rolling refresh that launches before terminating with rollback, and spot above one on-demand instance", () => {
        const group = child(types.group, "web");
        const i = group.inputs;
        assert.deepEqual([i.minSize, i.maxSize, i.desiredCapacity], [2, 4, 2]);
        assert.deepEqual(i.vpcZoneIdentifiers, network.privateSubnetIds);
        assert.deepEqual([i.healthCheckType, i.healthCheckGracePeriod, i.defaultInstanceWarmup], ["ELB", 300, 300]);
        assert.deepEqual(i.targetGroupArns, [arnOf(child(types.targetGroup, "web-tg"))]);
        // Launch before terminating: running capacity never drops during a deploy.
        assert.deepEqual(i.instanceRefresh, { strategy: "Rolling", preferences: { minHealthyPercentage: 100, maxHealthyPercentage: 200, autoRollback: true } });
        assert.equal(i.launchTemplate, undefined);
        assert.equal(i.capacityRebalance, true);
        const template = child(types.template, "web");
        assert.deepEqual(i.mixedInstancesPolicy, {
            instancesDistribution: { onDemandBaseCapacity: 1, onDemandPercentageAboveBaseCapacity: 0, spotAllocationStrategy: "price-capacity-optimized" },
            launchTemplate: {
                // A numbered version: auto rollback refuses $Latest and $Default.
                launchTemplateSpecification: { launchTemplateId: idOf(template), version: "1" },
                overrides: [{ instanceType: "c6i.large" }, { instanceType: "c6a.large" }, { instanceType: "c5.large" }],
            },
        });
        assert.equal(i.metricsGranularity, "1Minute");
    });

    test("the group carries every required tag itself, propagated to its instances", () => {
        const groupTags = list(child(types.group, "web").inputs.tags, "tags");
        assert.deepEqual(groupTags, [...Object.entries(tags), ["Name", "web-instance"]].map(([key, value]) => ({ key, value, propagateAtLaunch: true })));
    });

    test("target tracking on CPU 70 %, memory 80 % and requests only adds capacity", () => {
        const asg = record.outputs.asg;
        const tracking = (name: string) => object(child(types.policy, name).inputs.targetTrackingConfiguration, name);
        for (const name of ["web-cpu", "web-memory", "web-requests"]) {
            assert.equal(child(types.policy, name).inputs.policyType, "TargetTrackingScaling");
            assert.equal(child(types.policy, name).inputs.autoscalingGroupName, asg);
            assert.equal(tracking(name).disableScaleIn, true, name);
        }
        assert.deepEqual(tracking("web-cpu"), { targetValue: 70, disableScaleIn: true, predefinedMetricSpecification: { predefinedMetricType: "ASGAverageCPUUtilization" } });
        assert.deepEqual(tracking("web-memory"), {
            targetValue: 80,
            disableScaleIn: true,
            customizedMetricSpecification: { namespace: "CWAgent", metricName: "mem_used_percent", statistic: "Average", metricDimensions: [{ name: "AutoScalingGroupName", value: asg }] },
        });
        const lbSuffix = text(arnOf(child(types.loadBalancer, "web-alb")).split(":loadbalancer/")[1], "lb suffix");
        const tgSuffix = text(arnOf(child(types.targetGroup, "web-tg")).split(":")[5], "tg suffix");
        assert.deepEqual(tracking("web-requests"), {
            targetValue: 1000,
            disableScaleIn: true,
            predefinedMetricSpecification: { predefinedMetricType: "ALBRequestCountPerTarget", resourceLabel: `${lbSuffix}/${tgSuffix}` },
        });
    });

    test("scale-in removes one instance after 600 s with every metric under half its target, then cools down 600 s", () => {
        const scaleIn = child(types.policy, "web-scale-in");
        assert.deepEqual([scaleIn.inputs.policyType, scaleIn.inputs.adjustmentType, scaleIn.inputs.scalingAdjustment, scaleIn.inputs.cooldown], ["SimpleScaling", "ChangeInCapacity", -1, 600]);
        const alarm = child(types.alarm, "web-low-load");
        assert.deepEqual([alarm.inputs.comparisonOperator, alarm.inputs.threshold, alarm.inputs.evaluationPeriods, alarm.inputs.datapointsToAlarm, alarm.inputs.treatMissingData], ["LessThanThreshold", 50, 10, 10, "notBreaching"]);
        assert.deepEqual(alarm.inputs.alarmActions, [arnOf(scaleIn)]);
        const queries = list(alarm.inputs.metricQueries, "queries").map((q) => object(q, "query"));
        assert.deepEqual(queries.map((q) => [q.id, q.returnData]), [["cpu", false], ["memory", false], ["requests", false], ["load", true]]);
        assert.equal(queries[3].expression, "100 * MAX([cpu / 70, memory / 80, requests / 1000])");
        assert.deepEqual(queries[0].metric, { namespace: "AWS/EC2", metricName: "CPUUtilization", stat: "Average", period: 60, dimensions: { AutoScalingGroupName: record.outputs.asg } });
        assert.deepEqual(object(queries[2].metric, "requests").dimensions, { TargetGroup: text(arnOf(child(types.targetGroup, "web-tg")).split(":")[5], "tg") });
    });

    test("the access-log bucket is SSE-S3 and admits only us-east-1's ELB account under this account's prefix", () => {
        const bucketName = text(record.outputs.logsBucket, "logs bucket");
        const encryption = ofType(record, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration").filter((r) => r.inputs.bucket === bucketName);
        assert.deepEqual(encryption.map((e) => e.inputs.rules), [[{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }]]);
        const policy = json(only(record, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy, "policy");
        const statements = list(policy.Statement, "statements").map((s) => object(s, "statement"));
        assert.deepEqual(statements.map((s) => s.Sid), ["DenyInsecureTransport", "DenyOutdatedTls", "DenyOtherEncryption", "AllowElbAccessLogDelivery"]);
        assert.deepEqual(object(statements[2].Condition, "condition").StringNotEquals, { "s3:x-amz-server-side-encryption": "AES256" });
        assert.deepEqual(statements[3], {
            Sid: "AllowElbAccessLogDelivery",
            Effect: "Allow",
            Principal: { AWS: "arn:aws:iam::127311923021:root" },
            Action: "s3:PutObject",
            Resource: `arn:aws:s3:::${bucketName}/alb/AWSLogs/123456789012/*`,
        });
        const lifecycle = only(record, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration");
        assert.deepEqual(object(list(lifecycle.inputs.rules, "rules")[0], "rule").expiration, { days: 30 });
    });
});

describe("AutoscaledService in a second region with the guides' defaults", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const provider = new aws.Provider("dr", { region: "us-west-2", defaultTags: { tags } });
            const logs = new AlbLogBucket("alb-logs-dr", {}, { provider });
            new AutoscaledService("dr", baseArgs({
                minSize: 1,
                maxSize: 10,
                accessLogs: logs,
                certificate: { domainName: "app.example.com", zoneId: "Z0123456789ABC", validationRecordFqdns: ["_abc.app.example.com"] },
            }), { provider });
        });
    });

    test("reuses the primary region's validation record instead of writing its own", () => {
        assert.equal(ofType(record, types.record).length, 0);
        assert.deepEqual(only(record, types.validation).inputs.validationRecordFqdns, ["_abc.app.example.com"]);
    });

    test("runs on demand from the launch template's numbered version, with no request-count policy", () => {
        const group = only(record, types.group);
        assert.deepEqual(group.inputs.launchTemplate, { id: idOf(only(record, types.template)), version: "1" });
        assert.equal(group.inputs.mixedInstancesPolicy, undefined);
        assert.deepEqual(ofType(record, types.policy).map((p) => p.name).sort(), ["dr-cpu", "dr-memory", "dr-scale-in"]);
        assert.equal(object(list(only(record, types.alarm).inputs.metricQueries, "q")[2], "load").expression, "100 * MAX([cpu / 70, memory / 80])");
        assert.equal(ofType(record, types.ingress).length, 3, "no database rule");
    });

    test("defaults: port 3000, Ubuntu 22.04 AMI, no deletion protection, logs kept 90 days by us-west-2's ELB account", () => {
        assert.equal(only(record, types.targetGroup).inputs.port, 3000);
        assert.equal(ubuntu2204AmiParameter, "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id");
        assert.equal(only(record, types.loadBalancer).inputs.enableDeletionProtection, false);
        assert.equal(only(record, types.loadBalancer).region, "us-west-2");
        const statements = list(json(only(record, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy, "policy").Statement, "s");
        assert.deepEqual(object(statements.at(-1), "elb").Principal, { AWS: "arn:aws:iam::797873946194:root" });
        assert.deepEqual(object(list(only(record, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration").inputs.rules, "r")[0], "rule").expiration, { days: 90 });
    });
});

describe("AutoscaledService metrics scrapers and metric dimensions", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags } });
            const scraped = new AutoscaledService("scraped", baseArgs({ metricsScrapers: { securityGroupIds: ["sg-0scraper"], cidrBlocks: ["10.0.0.0/19"] } }), { provider });
            const plain = new AutoscaledService("plain", baseArgs(), { provider });
            return {
                scrapedSg: scraped.instanceSecurityGroupId,
                plainSg: plain.instanceSecurityGroupId,
                scrapedDimensions: scraped.metricDimensions,
                plainDimensions: plain.metricDimensions,
            };
        });
    });
    const ingressTo = (group: unknown) => ofType(record, types.ingress).filter((r) => r.inputs.securityGroupId === text(group, "security group id"));

    test("each scraper may reach the application port (3000 by default) and node exporter's 9100 on the instances, and nothing else", () => {
        assert.equal(nodeExporterPort, 9100);
        const rules = ingressTo(record.outputs.scrapedSg).map((r) => [r.inputs.ipProtocol, r.inputs.fromPort, r.inputs.toPort, r.inputs.referencedSecurityGroupId ?? null, r.inputs.cidrIpv4 ?? null]);
        const fromAlb = ["tcp", 3000, 3000, text(mockOf(childOf(record, "scraped", types.securityGroup, "scraped-alb")).id, "alb sg"), null];
        assert.deepEqual(rules.map((r) => JSON.stringify(r)).sort(), [
            fromAlb,
            ["tcp", 3000, 3000, "sg-0scraper", null],
            ["tcp", 9100, 9100, "sg-0scraper", null],
            ["tcp", 3000, 3000, null, "10.0.0.0/19"],
            ["tcp", 9100, 9100, null, "10.0.0.0/19"],
        ].map((r) => JSON.stringify(r)).sort());
        const scrapeRules = childrenOf(record, only(record, "keel:traffic:AutoscaledService", "scraped")).filter((r) => r.type === types.ingress && r.name.startsWith("scraped-scrape-"));
        assert.deepEqual(scrapeRules.map((r) => r.name).sort(), ["scraped-scrape-app-cidr-0", "scraped-scrape-app-group-0", "scraped-scrape-node-cidr-0", "scraped-scrape-node-group-0"]);
        for (const rule of scrapeRules) {
            assert.equal(rule.region, "us-east-1", rule.name);
            assert.ok(!("referencedSecurityGroupId" in rule.inputs && "cidrIpv4" in rule.inputs), `${rule.name} names two sources`);
        }
    });

    test("without metricsScrapers the instances admit only the load balancer", () => {
        const rules = ingressTo(record.outputs.plainSg);
        assert.deepEqual(rules.map((r) => r.name), ["plain-instances-from-alb"]);
        assert.deepEqual(ofType(record, types.ingress).filter((r) => r.name.startsWith("plain-scrape-")), []);
    });

    test("metricDimensions are the load balancer's and the target group's ARN suffixes", () => {
        for (const service of ["scraped", "plain"]) {
            const lb = mockOf(childOf(record, service, types.loadBalancer, `${service}-alb`));
            const tg = mockOf(childOf(record, service, types.targetGroup, `${service}-tg`));
            const dimensions = object(record.outputs[`${service}Dimensions`], `${service}Dimensions`);
            assert.deepEqual(dimensions, { LoadBalancer: text(lb.state.arnSuffix, "lb arnSuffix"), TargetGroup: text(tg.state.arnSuffix, "tg arnSuffix") }, service);
            assert.match(text(dimensions.LoadBalancer, "LoadBalancer"), /^app\/[^/]+\/[0-9a-f]{16}$/);
            assert.match(text(dimensions.TargetGroup, "TargetGroup"), /^targetgroup\/[^/]+\/[0-9a-f]{16}$/);
        }
    });
});

describe("AutoscaledService from a baked AMI, and from a public image", () => {
    let record: PlanRecord;
    before(async () => {
        record = await planComponents(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1", defaultTags: { tags } });
            new AutoscaledService("baked", baseArgs({ application: { amiId: "ami-0123456789abcdef0", databaseSecret: { arn: secretArn } } }), { provider });
            new AutoscaledService("public", baseArgs({ application: { image: "ghcr.io/example/keel-app@sha256:" + "a".repeat(64) } }), { provider });
        });
    });
    const userDataOf = (service: string) => {
        const template = childOf(record, service, types.template, service);
        return parse(Buffer.from(text(template.inputs.userData, "userData"), "base64").toString()) as { packages: string[]; write_files: { path: string; content: string }[]; runcmd: string[][] };
    };

    test("a baked AMI replaces Canonical's image; the instance assembles the environment for the AMI's own service", () => {
        const template = childOf(record, "baked", types.template, "baked");
        assert.equal(template.inputs.imageId, "ami-0123456789abcdef0");
        const userData = userDataOf("baked");
        assert.deepEqual(userData.packages, ["prometheus-node-exporter", "awscli", "jq"]);
        const paths = userData.write_files.map((f) => f.path);
        assert.ok(paths.includes("/etc/systemd/system/keel-app-env.service"), paths.join());
        assert.ok(!paths.includes("/etc/systemd/system/keel-app.service"), "no container unit");
        assert.match(userData.write_files.find((f) => f.path === "/usr/local/lib/keel/app-env")?.content ?? "", /get-secret-value --region us-east-1 --secret-id 'arn:aws:secretsmanager:us-east-1:/);
        assert.deepEqual(userData.runcmd.slice(-2), [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "keel-app-env.service"]]);
        const statements = list(json(childOf(record, "baked", "aws:iam/rolePolicy:RolePolicy", "baked-application").inputs.policy, "policy").Statement, "statements");
        assert.deepEqual(statements.map((st) => object(st, "statement").Sid), ["ReadDatabaseSecret", "DecryptDatabaseSecret"]);
    });

    test("a public image needs no registry login and, without a database, no extra permission", () => {
        const unit = userDataOf("public").write_files.find((f) => f.path === "/etc/systemd/system/keel-app.service")?.content ?? "";
        assert.match(unit, /--publish 3000:3000 .* ghcr\.io\/example\/keel-app@sha256:a{64}$/m);
        assert.doesNotMatch(unit, /registry-login/);
        assert.deepEqual(userDataOf("public").packages, ["prometheus-node-exporter", "docker.io"]);
        assert.deepEqual(ofType(record, "aws:iam/rolePolicy:RolePolicy").map((p) => p.name), ["baked-application"]);
    });
});

describe("AutoscaledService refusals", () => {
    /** The refusal's lines (`path: message, got value`), having checked that nothing was registered. */
    const refusalOf = async (overrides: Partial<AutoscaledServiceArgs>): Promise<string[]> => {
        const refusal = await refusedArguments(() => {
            const provider = new aws.Provider("primary", { region: "us-east-1" });
            new AutoscaledService("bad", baseArgs(overrides), { provider });
        });
        const [head, ...lines] = refusal.message.split("\n  - ");
        assert.equal(head, "AutoscaledService bad: invalid arguments:");
        return lines;
    };

    test("refuses a service without an application, or with both an image and an AMI", async () => {
        assert.deepEqual(await refusalOf({ application: {} }), [
            "application: needs a container image (image) or a baked AMI (amiId): without one the instances run no application and fail the load balancer's health checks",
        ]);
        assert.deepEqual(await refusalOf({ application: { image, amiId: "ami-0123456789abcdef0" } }), ["application: takes a container image or a baked AMI, not both"]);
    });

    test("refuses images that are not pinned, malformed AMI ids and credentials in the environment", async () => {
        assert.deepEqual(await refusalOf({ application: { image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:latest" } }), [
            'application.image: expected an image pinned by a version tag or a sha256 digest, not the moving tag latest, got "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:latest"',
        ]);
        assert.deepEqual(await refusalOf({ application: { image: "keel-app" } }), [
            'application.image: expected an image pinned by a version tag or a sha256 digest (untagged means whatever latest is each time one starts), got "keel-app"',
        ]);
        assert.deepEqual(await refusalOf({ application: { amiId: "ami-123" } }), ['application.amiId: expected an AMI id such as ami-0123456789abcdef0, got "ami-123"']);
        const lines = await refusalOf({ application: { image, environment: { STRIPE_API_KEY: "sk_live_abc", PORT: "80" } } });
        assert.deepEqual(lines.map((e) => e.split(":")[0]), ["application.environment.STRIPE_API_KEY", "application.environment.PORT"]);
        assert.ok(lines.every((e) => !e.includes("sk_live_abc") && !e.includes("got")), "the refusal does not echo the values");
    });

    test("refuses impossible capacity, scaling and deploys, quoting the values given", async () => {
        assert.deepEqual(await refusalOf({
            minSize: 5,
            maxSize: 2,
            scaling: { cpuTargetPercent: 70, memoryTargetPercent: 80, instanceWarmupSeconds: 300, scaleInCooldownSeconds: 45 },
            healthCheckPath: "health",
            instanceRefresh: { minHealthyPercentage: 50, maxHealthyPercentage: 200 },
        }), [
            "minSize: expected at most the maximum size (2), got 5",
            "scaling.scaleInCooldownSeconds: expected a multiple of 60 from 60 to 86400 (whole CloudWatch alarm periods), got 45",
            'healthCheckPath: expected an absolute URL path such as /health, at most 1024 characters, got "health"',
            "instanceRefresh.maxHealthyPercentage: expected at most 100 above minHealthyPercentage (50), got 200",
        ]);
    });

    test("refuses what EC2 would refuse in ports, scraper CIDRs and spot types", async () => {
        assert.deepEqual(await refusalOf({
            appPort: 9100,
            metricsScrapers: { cidrBlocks: ["10.1.0.0/16", "10.1.0.5/16"] },
            spot: { alternativeInstanceTypes: ["c6i.large"], onDemandBaseCapacity: 0 },
        }), [
            'spot.alternativeInstanceTypes: expected instance types other than instanceType (c6i.large), each once, got ["c6i.large"]',
            "appPort: expected a port other than node exporter's (9100), which every instance runs, got 9100",
            'metricsScrapers.cidrBlocks.1: expected an IPv4 CIDR block by its network address, such as 10.1.0.0/16, got "10.1.0.5/16"',
        ]);
    });
});

describe("AutoscaledService's registered outputs", () => {
    // Not a field of the subclass: its initializer would run after the constructor has registered.
    let registered: Record<string, unknown> = {};
    /** Keeps what the service registers as its outputs. */
    class Registering extends AutoscaledService {
        protected override registerOutputs(outputs?: pulumi.Inputs | Promise<pulumi.Inputs> | pulumi.Output<pulumi.Inputs>): void {
            if (outputs !== undefined && !(outputs instanceof Promise) && !pulumi.Output.isInstance(outputs)) registered = outputs;
            super.registerOutputs(outputs);
        }
    }

    test("name every public output, so the engine and `pulumi stack` see them all", async () => {
        let service: AutoscaledService | undefined;
        await planComponents(() => {
            service = new Registering("outputs", baseArgs(), { provider: new aws.Provider("primary", { region: "us-east-1" }) });
        });
        const fields = Object.entries(service ?? {}) as [string, unknown][];
        const publicOutputs = fields.filter(([key, value]) => key !== "urn" && pulumi.Output.isInstance(value)).map(([key]) => key);
        assert.equal(publicOutputs.length, 12);
        assert.deepEqual(Object.keys(registered).sort(), publicOutputs.sort());
    });
});
