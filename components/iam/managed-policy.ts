/** The ARN of an AWS-managed IAM policy, by its name and path below `policy/` (e.g. `service-role/AmazonEBSCSIDriverPolicy`). */
export const awsManagedPolicyArn = (name: string): string => `arn:aws:iam::aws:policy/${name}`;
