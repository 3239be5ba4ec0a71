import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parse } from "yaml";
import { amiIdErrors, applicationErrors, containerImageErrors, ecrRepository, environmentProblems, parseImage, secretRegion } from "./application";
import { applicationUnit, configuredEnvironment, environmentScript, renderUserData, type ApplicationBoot } from "./user-data";

const ecrImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2";
const digest = `sha256:${"0123456789abcdef".repeat(4)}`;
const secretArn = "arn:aws:secretsmanager:us-west-2:123456789012:secret:database-credentials-Ab12Cd";

describe("container images", () => {
    test("parses registry, repository, tag and digest", () => {
        assert.deepEqual(parseImage(ecrImage), { registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", repository: "keel-app", tag: "1.4.2" });
        assert.deepEqual(parseImage(`ghcr.io/example/team/keel-app@${digest}`), { registry: "ghcr.io", repository: "example/team/keel-app", digest });
        assert.deepEqual(parseImage("library/nginx:1.27"), { repository: "library/nginx", tag: "1.27" });
        assert.deepEqual(parseImage("localhost:5000/app:v2"), { registry: "localhost:5000", repository: "app", tag: "v2" });
        for (const bad of ["", "Keel-App:1", "app:", "app@sha256:abc", "https://registry/app:1", "app:1 --privileged"]) assert.equal(parseImage(bad), undefined, bad);
    });

    test("accepts images pinned by a version tag or a digest; refuses latest, untagged and malformed ones", () => {
        for (const image of [ecrImage, `${ecrImage}@${digest}`, `public.ecr.aws/example/keel-app@${digest}`]) assert.deepEqual(containerImageErrors(image), [], image);
        assert.deepEqual(containerImageErrors("123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:latest"), [
            'image "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:latest" uses the moving tag latest: name a version tag or a sha256 digest',
        ]);
        assert.deepEqual(containerImageErrors("123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app"), [
            'image "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app" is not pinned: name a version tag or a sha256 digest',
        ]);
        assert.match(containerImageErrors("keel app:1")[0], /is not a container image reference/);
    });

    test("an ECR image names its registry, region and repository ARN; other registries none", () => {
        assert.deepEqual(ecrRepository(ecrImage), {
            registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com",
            account: "123456789012",
            region: "us-east-1",
            repositoryArn: "arn:aws:ecr:us-east-1:123456789012:repository/keel-app",
        });
        assert.equal(ecrRepository(`123456789012.dkr.ecr.us-west-2.amazonaws.com/team/keel-app@${digest}`)?.repositoryArn, "arn:aws:ecr:us-west-2:123456789012:repository/team/keel-app");
        assert.equal(ecrRepository(`public.ecr.aws/example/keel-app@${digest}`), undefined);
        assert.equal(ecrRepository("ghcr.io/example/keel-app:1.0.0"), undefined);
    });
});

describe("application settings", () => {
    test("exactly one of image and amiId", () => {
        assert.deepEqual(applicationErrors({ image: ecrImage }), []);
        assert.deepEqual(applicationErrors({ amiId: "ami-0123456789abcdef0" }), []);
        assert.match(applicationErrors({})[0], /^application needs a container image \(application\.image\) or a baked AMI \(application\.amiId\)/);
        assert.deepEqual(applicationErrors({ image: ecrImage, amiId: "ami-0123456789abcdef0" }), ["application takes a container image or a baked AMI, not both"]);
    });

    test("AMI ids are ami- and 8 or 17 hex digits", () => {
        assert.deepEqual([...amiIdErrors("ami-0123456789abcdef0"), ...amiIdErrors("ami-01234567")], []);
        assert.deepEqual(amiIdErrors("ami-XYZ"), ['amiId must be an AMI id such as ami-0123456789abcdef0, got "ami-XYZ"']);
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
