import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { defaultCheckerRegions, endpointCheckErrors, failoverSeconds, loadBalancerAliasTtlSeconds } from "./failover";
import { problem } from "../problems";
import { capacityProblems, guideScaling, instanceRefreshErrors, launchBeforeTerminating, pathErrors, portErrors, scaleInEvaluationPeriods, scalingProblems, spotErrors } from "./settings";
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
        assert.deepEqual(scalingProblems({ ...guideScaling, instanceWarmupSeconds: 3601 }), [problem("instanceWarmupSeconds", "expected a whole number from 0 to 3600")]);
    });

    test("the guides' 600 s scale-down cooldown is ten one-minute data points of low load", () => {
        assert.equal(scaleInEvaluationPeriods(guideScaling), 10);
        assert.equal(scaleInEvaluationPeriods({ scaleInCooldownSeconds: 300 }), 5);
    });

    test("spot needs alternatives and an on-demand floor within the group", () => {
        assert.deepEqual(spotErrors({ alternativeInstanceTypes: ["c6a.large"], onDemandBaseCapacity: 1 }, { minSize: 2, maxSize: 4 }), []);
        assert.deepEqual(spotErrors({ alternativeInstanceTypes: [], onDemandBaseCapacity: 5 }, { minSize: 2, maxSize: 4 }), [
            "spot needs at least one alternative instance type (spot pools run dry one type at a time)",
            "spot.onDemandBaseCapacity must be a whole number from 0 to maxSize (4), got 5",
        ]);
    });

    test("ports and paths", () => {
        assert.deepEqual([...portErrors(3000, "appPort"), ...pathErrors("/health", "path")], []);
        assert.deepEqual(portErrors(70000, "appPort"), ["appPort must be a TCP port (1–65535), got 70000"]);
        assert.deepEqual(pathErrors("health", "healthCheckPath"), ['healthCheckPath must be an absolute URL path such as /health, got "health"']);
        assert.deepEqual(pathErrors("/he alth", "healthCheckPath"), ['healthCheckPath must be an absolute URL path such as /health, got "/he alth"']);
    });
});

describe("instance refresh capacity", () => {
    test("deploys launch before terminating: nothing below the running capacity, up to a second set of instances at once", () => {
        assert.deepEqual(launchBeforeTerminating, { minHealthyPercentage: 100, maxHealthyPercentage: 200 });
        assert.deepEqual(instanceRefreshErrors(launchBeforeTerminating), []);
    });

    test("refuses what EC2 Auto Scaling and the provider refuse: min 0–100, max 100–200, at most 100 apart", () => {
        assert.deepEqual(instanceRefreshErrors({ minHealthyPercentage: 90, maxHealthyPercentage: 100 }), []);
        assert.deepEqual(instanceRefreshErrors({ minHealthyPercentage: 0, maxHealthyPercentage: 100 }), []);
        assert.deepEqual(instanceRefreshErrors({ minHealthyPercentage: 50, maxHealthyPercentage: 200 }), ["maxHealthyPercentage (200) may exceed minHealthyPercentage (50) by at most 100"]);
        assert.deepEqual(instanceRefreshErrors({ minHealthyPercentage: 101, maxHealthyPercentage: 99 }), [
            "minHealthyPercentage must be a whole number from 0 to 100, got 101",
            "maxHealthyPercentage must be a whole number from 100 to 200, got 99",
        ]);
        assert.deepEqual(instanceRefreshErrors({ minHealthyPercentage: 100, maxHealthyPercentage: 250 }), ["maxHealthyPercentage must be a whole number from 100 to 200, got 250"]);
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
        assert.deepEqual(endpointCheckErrors({ requestIntervalSeconds: 10, failureThreshold: 3, regions: defaultCheckerRegions }), []);
        assert.deepEqual(endpointCheckErrors({ requestIntervalSeconds: 20, failureThreshold: 11, regions: ["us-east-1", "us-east-1", "eu-central-1"] }), [
            "requestIntervalSeconds must be 10 or 30 (the intervals Route 53 accepts), got 20",
            "failureThreshold must be a whole number from 1 to 10, got 11",
            "regions must name at least 3 distinct checker regions, got us-east-1, us-east-1, eu-central-1",
            "regions eu-central-1 have no Route 53 health checkers (expected some of us-east-1, us-west-1, us-west-2, eu-west-1, ap-southeast-1, ap-southeast-2, ap-northeast-1, sa-east-1)",
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
