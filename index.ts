// Keel's Pulumi program: `pulumi up -s <stack>` composes stacks/<environment>.ts and exports its outputs.
import { composeStack } from "./stacks";

export = composeStack;
