import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, it } from "node:test";
import { awsTypesWithoutDefaultTags, statefulAwsTypes, taggableAwsTypes, untaggableAwsTypes } from "./resource-types";

/** The declaration @pulumi/aws ships for a type token `aws:<module>/<resource>:<Class>`. */
const awsDir = dirname(require.resolve("@pulumi/aws/package.json"));
function declaration(type: string): string {
    const match = /^aws:([a-z0-9]+)\/([A-Za-z0-9]+):([A-Za-z0-9]+)$/.exec(type);
    assert.ok(match, `${type} is not an AWS type token`);
    return readFileSync(join(awsDir, match[1]!, `${match[2]!}.d.ts`), "utf8");
}
/** Whether the resource's Args interface takes `tags`. */
const takesTags = (type: string) => /export interface \w+Args \{[\s\S]*?\n {4}tags\?: /.test(declaration(type));
/** Whether the resource has `tagsAll` (the provider merges its defaultTags into it). */
const hasTagsAll = (type: string) => /\n {4}readonly tagsAll: /.test(declaration(type));

describe("AWS resource type classification", () => {
    it("does not list a type both taggable and untaggable", () => {
        assert.deepEqual([...taggableAwsTypes].filter((t) => untaggableAwsTypes.has(t)), []);
    });

    it("lists only taggable types as skipping the provider's defaultTags", () => {
        assert.deepEqual([...awsTypesWithoutDefaultTags].filter((t) => !taggableAwsTypes.has(t)), []);
    });

    it("lists as taggable only types whose @pulumi/aws Args take tags", () => {
        assert.deepEqual([...taggableAwsTypes].filter((t) => !takesTags(t)), []);
    });

    it("lists as untaggable only types whose @pulumi/aws Args take no tags", () => {
        assert.deepEqual([...untaggableAwsTypes].filter(takesTags), []);
    });

    it("marks exactly the taggable types without tagsAll as skipping the provider's defaultTags", () => {
        assert.deepEqual(
            [...taggableAwsTypes].filter((t) => !hasTagsAll(t)),
            [...awsTypesWithoutDefaultTags],
        );
    });

    it("lists stateful types that exist in @pulumi/aws", () => {
        for (const type of statefulAwsTypes) assert.match(declaration(type), /export declare class \w+ extends pulumi\.CustomResource/, type);
    });

    it("counts the classic stores of data as stateful", () => {
        for (const type of ["aws:rds/instance:Instance", "aws:rds/cluster:Cluster", "aws:s3/bucket:Bucket", "aws:kms/key:Key", "aws:backup/vault:Vault", "aws:secretsmanager/secret:Secret"]) {
            assert.ok(statefulAwsTypes.has(type), type);
        }
    });
});
