import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { arnAccounts, coversEveryResource, isEveryAction, isPinningClause, isWildcardPrincipal, parseDocument, principalAccount, principalsOf } from "./iam-documents";

describe("IAM documents", () => {
    test("parses strings and objects, one statement or a list, element names in any case", () => {
        const one = parseDocument('{"Statement":{"Sid":"A","Effect":"Allow","Action":"s3:GetObject","Resource":"*"}}');
        const many = parseDocument({ statement: [{ effect: "Deny", notAction: ["s3:*"], resource: "*" }] });
        assert.equal(one.kind === "document" && one.statements[0].label, "A");
        assert.deepEqual(many.kind === "document" && [many.statements[0].label, many.statements[0].effect, many.statements[0].notActions], ["#1", "Deny", ["s3:*"]]);
        assert.deepEqual(parseDocument(undefined), { kind: "absent" });
        assert.deepEqual(parseDocument("{oops"), { kind: "malformed", reason: "not JSON" });
        assert.deepEqual(parseDocument({ Statement: ["x"] }), { kind: "malformed", reason: "a Statement entry is not an object" });
    });

    test("reads principals in every shape IAM takes, and their accounts", () => {
        assert.deepEqual(principalsOf("*"), [{ kind: "Everyone", value: "*" }]);
        assert.deepEqual(principalsOf({ AWS: ["111122223333", "arn:aws:iam::444455556666:role/x"], service: "ec2.amazonaws.com" }).map((p) => [p.kind, principalAccount(p)]), [
            ["AWS", "111122223333"],
            ["AWS", "444455556666"],
            ["Service", undefined],
        ]);
        assert.equal(principalAccount({ kind: "AWS", value: "arn:aws:sts::111122223333:assumed-role/r/s" }), "111122223333");
        assert.equal(principalAccount({ kind: "Federated", value: "arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com" }), "111122223333");
        for (const value of ["*", "arn:aws:iam::*:root", "arn:aws:iam::1234567890?2:root"]) assert.equal(isWildcardPrincipal({ kind: "AWS", value }), true, value);
    });

    test("tells every resource of a service from some of them", () => {
        for (const r of ["*", "arn:*", "arn:aws:s3:::*", "arn:aws:s3:::*/*", "arn:aws:kms:*:*:key/*", "arn:aws:iam::123456789012:role/*", "arn:aws:sns:us-east-1:123456789012:*", "arn:aws:logs:us-east-1:123456789012:log-group:*"]) assert.equal(coversEveryResource(r), true, r);
        for (const r of ["arn:aws:s3:::uploads/*", "arn:aws:s3:::uploads", "arn:aws:kms:us-east-1:123456789012:key/abc", "arn:aws:iam::123456789012:role/app", "arn:aws:logs:us-east-1:123456789012:log-group:/keel/x:*"]) assert.equal(coversEveryResource(r), false, r);
    });

    test("tells every action of a service from some of them", () => {
        for (const a of ["*", "s3:*", "KMS:*", "*:*", "*:Get*"]) assert.equal(isEveryAction(a), true, a);
        for (const a of ["s3:Get*", "kms:GenerateDataKey*", "sts:AssumeRole"]) assert.equal(isEveryAction(a), false, a);
    });

    test("a pinning condition names values; negated, IfExists, ForAllValues and wildcards do not pin", () => {
        const clause = (operator: string, values: string[]) => ({ operator, key: "aws:SourceAccount", values });
        assert.equal(isPinningClause(clause("StringEquals", ["123456789012"])), true);
        assert.equal(isPinningClause(clause("ForAnyValue:StringEquals", ["123456789012"])), true);
        assert.equal(isPinningClause({ operator: "ArnLike", key: "aws:SourceArn", values: ["arn:aws:logs:us-east-1:123456789012:*"] }), true);
        for (const [operator, values] of [["StringNotEquals", ["1"]], ["StringEqualsIfExists", ["123456789012"]], ["ForAllValues:StringEquals", ["123456789012"]], ["StringLike", ["*"]], ["StringEquals", []]] as const) {
            assert.equal(isPinningClause(clause(operator, [...values])), false, operator);
        }
        assert.equal(isPinningClause({ operator: "ArnLike", key: "aws:SourceArn", values: ["arn:aws:s3:::*"] }), false);
    });

    test("finds the accounts of ARNs in any text", () => {
        assert.deepEqual(arnAccounts('{"Resource":"arn:aws:sns:us-east-1:123456789012:t","P":"arn:aws:iam::111122223333:root","S":"arn:aws:s3:::b"}'), ["123456789012", "111122223333"]);
    });
});
