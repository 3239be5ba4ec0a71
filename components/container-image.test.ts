import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { containerImageProblems, ecrRepository, parseImage } from "./container-image";

const ecrImage = "123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:1.4.2";
const digest = `sha256:${"0123456789abcdef".repeat(4)}`;

describe("container images", () => {
    test("parses registry, repository, tag and digest", () => {
        assert.deepEqual(parseImage(ecrImage), { registry: "123456789012.dkr.ecr.us-east-1.amazonaws.com", repository: "keel-app", tag: "1.4.2" });
        assert.deepEqual(parseImage(`ghcr.io/example/team/keel-app@${digest}`), { registry: "ghcr.io", repository: "example/team/keel-app", digest });
        assert.deepEqual(parseImage("library/nginx:1.27"), { repository: "library/nginx", tag: "1.27" });
        assert.deepEqual(parseImage("localhost:5000/app:v2"), { registry: "localhost:5000", repository: "app", tag: "v2" });
        for (const bad of ["", "Keel-App:1", "app:", "app@sha256:abc", "https://registry/app:1", "app:1 --privileged"]) assert.equal(parseImage(bad), undefined, bad);
    });

    test("accepts images pinned by a version tag or a digest; refuses latest, untagged and malformed ones", () => {
        for (const image of [ecrImage, `${ecrImage}@${digest}`, `public.ecr.aws/example/keel-app@${digest}`]) assert.deepEqual(containerImageProblems(image), [], image);
        assert.deepEqual(containerImageProblems("123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app:latest", ["application", "image"]), [
            { path: ["application", "image"], message: "expected an image pinned by a version tag or a sha256 digest, not the moving tag latest" },
        ]);
        assert.deepEqual(containerImageProblems("123456789012.dkr.ecr.us-east-1.amazonaws.com/keel-app"), [
            { path: ["image"], message: "expected an image pinned by a version tag or a sha256 digest (untagged means whatever latest is each time one starts)" },
        ]);
        assert.match(containerImageProblems("keel app:1")[0].message, /^expected a container image reference/);
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
