import * as pulumi from "@pulumi/pulumi";
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planComponents } from "../tests/plans";
import { publicOutputs } from "./outputs";

class Example extends pulumi.ComponentResource {
    public readonly url: pulumi.Output<string>;
    public readonly port: pulumi.Output<number>;
    public readonly unset?: pulumi.Output<string>;
    public readonly label: string;

    constructor(name: string) {
        super("keel:test:Example", name);
        this.url = pulumi.output("https://example.com");
        this.port = pulumi.output(443);
        this.label = "not an output";
    }
}

describe("publicOutputs", () => {
    test("is every Output field of a component, without the URN, plain fields or unset ones", async () => {
        let keys: string[] = [];
        await planComponents(() => {
            keys = Object.keys(publicOutputs(new Example("example"))).sort();
        });
        assert.deepEqual(keys, ["port", "url"]);
    });
});
