import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { defaultCheckerRegions, endpointCheckProblems, failoverSeconds, loadBalancerAliasTtlSeconds } from "./failover";
import { problem } from "../problems";
import {
    capacityProblems,
    domainNameProblems,
    guideScaling,
    instanceRefreshProblems,
    ipv4BlockProblems,
    launchBeforeTerminating,
    portProblems,
    route53HealthCheckPathLength,
    scaleInEvaluationPeriods,
    scalingProblems,
    spotProblems,
    targetGroupHealthCheckPathLength,
    urlPathProblems,
} from "./settings";
import { cloudWatchAgentConfig, renderUserData } from "./user-data";

describe("capacity and scaling rules", () => {
    test("accept the guides' figures and every environment's sizes", () => {
        assert.deepEqual(scalingProblems(guideScaling), []);
        for (const [minSize, maxSize] of [[0, 1], [1, 2], [2, 4], [2, 10], [1, 10]]) assert.deepEqual(capacityProblems({ minSize, maxSize }), [], `${minSize}-${maxSize}`);
    });

    test("refuse sizes an Auto Scaling group refuses", () => {
        assert.deepEqual(capacityProblems({ minSize: 3, maxSize: 2 }), [problem("minSize", "expected at most the maximum size (2)")]);
        assert.deepEqual(capacityProblems({ minSize: -1, maxSize: 0 }), [
            problem("minSize", "expected a whole number of at least 0"),
            problem("maxSize", "expected a whole number of at least 1"),
        ]);
        assert.deepEqual(capacityProblems({ minSize: 1.5, maxSize: 2 }), [problem("minSize", "expected a whole number of at least 0")]);
    });

    test("refuse targets outside (0, 100) and scale-in timings that are not whole alarm periods", () => {
        assert.deepEqual(scalingProblems({ ...guideScaling, cpuTargetPercent: 100, memoryTargetPercent: 0, requestsPerTarget: 0 }), [
            problem("cpuTargetPercent", "expected above 0 and below 100"),
            problem("memoryTargetPercent", "expected above 0 and below 100"),
            problem("requestsPerTarget", "expected above 0 when set"),
        ]);
        assert.deepEqual(scalingProblems({ ...guideScaling, scaleInCooldownSeconds: 90 }), [
            problem("scaleInCooldownSeconds", "expected a multiple of 60 from 60 to 86400 (whole CloudWatch alarm periods)"),
        ]);
        for (const instanceWarmupSeconds of [0, 3601]) {
            assert.deepEqual(scalingProblems({ ...guideScaling, instanceWarmupSeconds }), [problem("instanceWarmupSeconds", "expected a whole number from 1 to 3600 (the AWS provider leaves a warmup of 0 unset)")]);
        }
    });

    test("the guides' 600 s scale-down cooldown is ten one-minute data points of low load", () => {
        assert.equal(scaleInEvaluationPeriods(guideScaling), 10);
        assert.equal(scaleInEvaluationPeriods({ scaleInCooldownSeconds: 300 }), 5);
    });

    test("spot needs alternatives other than the template's type, at most 40 types in all, and an on-demand floor within the group", () => {
        const group = { instanceType: "t3.medium", minSize: 2, maxSize: 4 };
        assert.deepEqual(spotProblems({ alternativeInstanceTypes: ["c6a.large"], onDemandBaseCapacity: 1 }, group), []);
        assert.deepEqual(spotProblems({ alternativeInstanceTypes: [], onDemandBaseCapacity: 5 }, group), [
            problem(["spot", "alternativeInstanceTypes"], "expected at least one alternative instance type (spot pools run dry one type at a time)"),
            problem(["spot", "onDemandBaseCapacity"], "expected a whole number from 0 to maxSize (4)"),
        ]);
        assert.deepEqual(spotProblems({ alternativeInstanceTypes: ["c6a.large", "t3.medium", "c6a.large"], onDemandBaseCapacity: 0 }, group), [
            problem(["spot", "alternativeInstanceTypes"], "expected instance types other than instanceType (t3.medium), each once"),
        ]);
        const many = Array.from({ length: 40 }, (_, i) => `m${i}.large`);
        assert.deepEqual(spotProblems({ alternativeInstanceTypes: many.slice(0, 39), onDemandBaseCapacity: 0 }, group), []);
        assert.deepEqual(spotProblems({ alternativeInstanceTypes: many, onDemandBaseCapacity: 0 }, group), [
            problem(["spot", "alternativeInstanceTypes"], "expected at most 39 alternatives (EC2 Auto Scaling takes 40 instance types with the launch template's)"),
        ]);
    });

    test("ports and health-check paths, each within the provider's length for its resource", () => {
        assert.deepEqual([...portProblems(3000, ["appPort"]), ...urlPathProblems("/health", ["path"], route53HealthCheckPathLength)], []);
        assert.deepEqual(portProblems(70000, ["appPort"]), [problem("appPort", "expected a TCP port (1–65535)")]);
        for (const path of ["health", "/he alth", `/${"a".repeat(255)}`]) {
            assert.deepEqual(urlPathProblems(path, ["healthCheck", "path"], route53HealthCheckPathLength), [problem(["healthCheck", "path"], "expected an absolute URL path such as /health, at most 255 characters")], path);
        }
        assert.deepEqual(urlPathProblems(`/${"a".repeat(1023)}`, ["healthCheckPath"], targetGroupHealthCheckPathLength), []);
        assert.equal(urlPathProblems(`/${"a".repeat(1024)}`, ["healthCheckPath"], targetGroupHealthCheckPathLength).length, 1);
    });

    test("scraper CIDRs are IPv4 blocks by their network address, as security group rules take them", () => {
        assert.deepEqual(ipv4BlockProblems(["10.1.0.0/16", "192.168.4.0/22"], ["cidrBlocks"]), []);
        assert.deepEqual(ipv4BlockProblems(["10.1.0.5/16", "10.1.0.5", "10.1.0.0/33"], ["cidrBlocks"]).map((p) => p.path), [["cidrBlocks", 0], ["cidrBlocks", 1], ["cidrBlocks", 2]]);
    });

    test("domain names: lower-case labels of up to 63 characters, 253 in all, punycode top-level domains", () => {
        for (const domain of ["app.example.com", "a-b.example.co.uk", "shop.xn--p1ai", `${"a".repeat(63)}.example.com`]) assert.deepEqual(domainNameProblems(domain), [], domain);
        for (const domain of ["App.example.com", "app.example.com.", "-app.example.com", "app-.example.com", `${"a".repeat(64)}.example.com`, `${"a.".repeat(126)}com`, "localhost", "app.example.c0m"]) {
            assert.equal(domainNameProblems(domain).length, 1, domain);
        }
    });
});

describe("instance refresh capacity", () => {
    test("deploys launch before terminating: nothing below the running capacity, up to a second set of instances at once", () => {
        assert.deepEqual(launchBeforeTerminating, { minHealthyPercentage: 100, maxHealthyPercentage: 200 });
        assert.deepEqual(instanceRefreshProblems(launchBeforeTerminating), []);
    });

    test("refuses what EC2 Auto Scaling and the provider refuse: min 0–100, max 100–200, at most 100 apart", () => {
        assert.deepEqual(instanceRefreshProblems({ minHealthyPercentage: 90, maxHealthyPercentage: 100 }), []);
        assert.deepEqual(instanceRefreshProblems({ minHealthyPercentage: 0, maxHealthyPercentage: 100 }), []);
        assert.deepEqual(instanceRefreshProblems({ minHealthyPercentage: 50, maxHealthyPercentage: 200 }), [problem("maxHealthyPercentage", "expected at most 100 above minHealthyPercentage (50)")]);
        assert.deepEqual(instanceRefreshProblems({ minHealthyPercentage: 101, maxHealthyPercentage: 99 }), [
            problem("minHealthyPercentage", "expected a whole number from 0 to 100"),
            problem("maxHealthyPercentage", "expected a whole number from 100 to 200"),
        ]);
        assert.deepEqual(instanceRefreshProblems({ minHealthyPercentage: 100, maxHealthyPercentage: 250 }), [problem("maxHealthyPercentage", "expected a whole number from 100 to 200")]);
    });
});

describe("Route 53 failover rules", () => {
    test("the guides' fast checks fail over within 90 s: 10 s × 3 failures + the 60 s alias TTL", () => {
        assert.equal(loadBalancerAliasTtlSeconds, 60);
        assert.equal(failoverSeconds({ requestIntervalSeconds: 10, failureThreshold: 3 }), 90);
        assert.equal(failoverSeconds({ requestIntervalSeconds: 30, failureThreshold: 3 }), 150);
        assert.equal(failoverSeconds({ requestIntervalSeconds: 10, failureThreshold: 2 }, 30), 50);
    });

    test("accept the defaults; refuse intervals, thresholds and checker regions Route 53 refuses", () => {
        assert.deepEqual(endpointCheckProblems({ requestIntervalSeconds: 10, failureThreshold: 3, regions: defaultCheckerRegions }), []);
        assert.deepEqual(endpointCheckProblems({ requestIntervalSeconds: 20, failureThreshold: 11, regions: ["us-east-1", "us-east-1", "eu-central-1"] }), [
            problem("requestIntervalSeconds", "expected 10 or 30 (the intervals Route 53 accepts)"),
            problem("failureThreshold", "expected a whole number from 1 to 10"),
            problem("regions", "expected at least 3 distinct checker regions"),
            problem("regions", "expected Route 53 checker regions (us-east-1, us-west-1, us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, sa-east-1); eu-central-1 have none"),
        ]);
    });
});

describe("instance user data", () => {
    const userData = renderUserData("us-west-2");
    const config = parse(userData) as { packages: string[]; write_files: { path: string; content: string }[]; runcmd: string[][] };

    test("is cloud-config installing node-exporter and the CloudWatch agent from the region's bucket", () => {
        assert.ok(userData.startsWith("#cloud-config\n"));
        assert.deepEqual(config.packages, ["prometheus-node-exporter"]);
        assert.equal(config.runcmd.length, 3);
        assert.equal(config.runcmd[0].at(-1), "https://amazoncloudwatch-agent-us-west-2.s3.us-west-2.amazonaws.com/ubuntu/amd64/latest/amazon-cloudwatch-agent.deb");
        assert.deepEqual(config.runcmd[1], ["dpkg", "--install", "/tmp/amazon-cloudwatch-agent.deb"]);
        assert.deepEqual(config.runcmd[2].slice(1), ["-a", "fetch-config", "-m", "ec2", "-s", "-c", "file:/etc/keel/amazon-cloudwatch-agent.json"]);
    });

    test("configures the agent to publish memory per group, the series memory scaling tracks", () => {
        assert.equal(config.write_files[0].path, "/etc/keel/amazon-cloudwatch-agent.json");
        const agent = JSON.parse(config.write_files[0].content) as typeof cloudWatchAgentConfig;
        assert.deepEqual(agent.metrics.metrics_collected.mem, { measurement: ["mem_used_percent"] });
        assert.equal(agent.metrics.namespace, "CWAgent");
        assert.deepEqual(agent.metrics.aggregation_dimensions, [["AutoScalingGroupName"]]);
        assert.equal(agent.metrics.append_dimensions.AutoScalingGroupName, "${aws:AutoScalingGroupName}");
    });
});
