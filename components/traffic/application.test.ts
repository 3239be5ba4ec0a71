import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { amiIdProblems, applicationProblems, environmentProblems, secretRegion } from "./application";
import { applicationUnit, configuredEnvironment, environmentScript, renderUserData, type ApplicationBoot } from "./user-data";

const ecrImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2";
const secretArn = "arn:aws:secretsmanager:us-west-2:123456789012:secret:database-credentials-Ab12Cd";

describe("application settings", () => {
    test("exactly one of image and amiId", () => {
        assert.deepEqual(applicationProblems({ image: ecrImage }), []);
        assert.deepEqual(applicationProblems({ amiId: "ami-0123456789abcdef0" }), []);
        assert.match(applicationProblems({})[0].message, /^needs a container image \(image\) or a baked AMI \(amiId\)/);
        assert.deepEqual(applicationProblems({ image: ecrImage, amiId: "ami-0123456789abcdef0" }), [{ path: [], message: "takes a container image or a baked AMI, not both" }]);
        assert.deepEqual(applicationProblems({ image: "keel-app", environment: { APP_PORT: "1" } }).map((p) => p.path), [["image"], ["environment", "APP_PORT"]]);
    });

    test("AMI ids are ami- and 8 or 17 hex digits", () => {
        assert.deepEqual([...amiIdProblems("ami-0123456789abcdef0"), ...amiIdProblems("ami-01234567")], []);
        assert.deepEqual(amiIdProblems("ami-XYZ", ["application", "amiId"]), [{ path: ["application", "amiId"], message: "expected an AMI id such as ami-0123456789abcdef0" }]);
    });

    test("environment names: shell-safe, not Keel's own, no credentials, one line", () => {
        assert.deepEqual(environmentProblems({ NODE_ENV: "production", FEATURE_FLAGS: "a,b=c" }), []);
        assert.deepEqual(environmentProblems({ "1X": "a", "A-B": "a", DATABASE_URL: "x", APP_PORT: "1", SESSION_SECRET: "s", GITHUB_TOKEN: "t", NOTE: "a\nb" }).map((p) => [p.name, p.credential]), [
            ["1X", false], ["A-B", false], ["DATABASE_URL", false], ["APP_PORT", false], ["SESSION_SECRET", true], ["GITHUB_TOKEN", true], ["NOTE", false],
        ]);
    });

    test("secret ARNs name their region", () => {
        assert.equal(secretRegion(secretArn), "us-west-2");
        assert.equal(secretRegion("arn:aws:s3:::bucket"), undefined);
    });
});

describe("application boot", () => {
    const boot: ApplicationBoot = {
        port: 3000,
        image: ecrImage,
        registryLogin: { registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", region: "us-east-1" },
        environment: { NODE_ENV: "production" },
        databaseSecret: { arn: secretArn, region: "us-west-2" },
    };

    test("the unit runs the image in the foreground with the port published; systemd restarts it forever", () => {
        const unit = applicationUnit({ ...boot, image: ecrImage });
        assert.match(unit, new RegExp(`^ExecStart=/usr/bin/docker run --rm --name keel-app --publish 3000:3000 --env-file /run/keel/app.env --log-driver journald ${ecrImage.replace(/\./g, "\\.")}$`, "m"));
        assert.deepEqual([unit.match(/^Restart=.*$/m)?.[0], unit.match(/^StartLimitIntervalSec=.*$/m)?.[0], unit.match(/^WantedBy=.*$/m)?.[0]], ["Restart=always", "StartLimitIntervalSec=0", "WantedBy=multi-user.target"]);
        assert.doesNotMatch(unit, /--restart|--privileged|--network host/);
        assert.match(unit, /^Requires=docker\.service$/m);
    });

    test("the environment: configured variables and the port in a root-only file; the secret piped from Secrets Manager into tmpfs", () => {
        assert.equal(configuredEnvironment(boot), "NODE_ENV=production\nAPP_PORT=3000\nPORT=3000\n");
        const script = environmentScript(boot);
        assert.match(script, /^umask 077$/m);
        assert.match(script, /^aws secretsmanager get-secret-value --region us-west-2 --secret-id 'arn:aws:secretsmanager:us-west-2:123456789012:secret:database-credentials-Ab12Cd' --query SecretString --output text \\$/m);
        assert.match(script, /\| jq --raw-output '.*"PGPASSWORD=\\\(\.password\)".*' >> "\$tmp"$/m);
        assert.match(script, /^mv "\$tmp" \/run\/keel\/app\.env$/m);
        assert.doesNotMatch(environmentScript({ ...boot, databaseSecret: undefined }), /secretsmanager/);
    });

    test("user data installs Docker, the CLI and jq, writes the files and enables the unit", () => {
        const config = parse(renderUserData("us-west-2", boot)) as { packages: string[]; write_files: { path: string; permissions: string }[]; runcmd: string[][] };
        assert.deepEqual(config.packages, ["prometheus-node-exporter", "docker.io", "awscli", "jq"]);
        assert.deepEqual(config.write_files.map((f) => [f.path, f.permissions]), [
            ["/etc/keel/amazon-cloudwatch-agent.json", "0644"],
            ["/etc/keel/app.env", "0600"],
            ["/usr/local/lib/keel/app-env", "0700"],
            ["/usr/local/lib/keel/registry-login", "0700"],
            ["/etc/systemd/system/keel-app.service", "0644"],
        ]);
        assert.deepEqual(config.runcmd.slice(3), [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", "--no-block", "keel-app.service"]]);
    });
});
