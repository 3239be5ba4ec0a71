import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { userDataCredentials } from "./compute-user-data";
import { known, notKnown } from "./network-graph";
import { isTrue, list, object, regionOf } from "./props";

/** EC2, launch template and Auto Scaling rules (AWS FSBP EC2.8, EC2.9, AutoScaling.1/3/5, CIS 5.6, Checkov CKV_AWS_46). */

const launchTemplateType = "aws:ec2/launchTemplate:LaunchTemplate";
const launchConfigurationType = "aws:ec2/launchConfiguration:LaunchConfiguration";
const instanceType = "aws:ec2/instance:Instance";
const spotInstanceType = "aws:ec2/spotInstanceRequest:SpotInstanceRequest";
const groupType = "aws:autoscaling/group:Group";
const scalingPolicyType = "aws:autoscaling/policy:Policy";


export const imdsV2: ResourceValidationPolicy = {
    name: "keel-ec2-imdsv2",
    description: "Instances and launch templates require IMDSv2 session tokens (no IMDSv1).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        if (![launchTemplateType, launchConfigurationType, instanceType, spotInstanceType].includes(args.type)) return;
        const tokens = object(args.props.metadataOptions).httpTokens;
        if (tokens !== "required") reportViolation(`${args.type.split(":").pop()} "${args.name}" does not require IMDSv2 (metadataOptions.httpTokens is ${String(tokens ?? "unset")})`);
    },
};

export const encryptedVolumes: ResourceValidationPolicy = {
    name: "keel-ec2-encrypted-volumes",
    description: "EBS volumes, launch template disks and instance root volumes are encrypted.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        const report = (what: string) => reportViolation(`${args.type.split(":").pop()} "${args.name}" has an unencrypted ${what}`);
        if (args.type === "aws:ebs/volume:Volume" && !isTrue(args.props.encrypted)) report("volume");
        if (args.type === launchTemplateType) {
            const mappings = list(args.props.blockDeviceMappings);
            if (mappings.length === 0) report("root volume (no block device mapping: the AMI's default)");
            // Instance-store (`virtualName`) and suppressed (`noDevice`) mappings carry no EBS volume.
            for (const mapping of mappings.filter((m) => m.ebs !== undefined || (m.virtualName === undefined && m.noDevice === undefined))) {
                if (!isTrue(object(mapping.ebs).encrypted)) report(`volume ${String(mapping.deviceName)}`);
            }
        }
        if (args.type === instanceType && !isTrue(object(args.props.rootBlockDevice).encrypted)) report("root volume");
    },
};

export const noPublicIp: ResourceValidationPolicy = {
    name: "keel-ec2-no-public-ip",
    description: "Instances, launch templates and launch configurations get no public IP address, nor an Elastic IP: they sit behind load balancers in private subnets.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        const { props } = args;
        const publicIp = {
            [launchTemplateType]: () => list(props.networkInterfaces).some((n) => isTrue(n.associatePublicIpAddress)),
            [launchConfigurationType]: () => isTrue(props.associatePublicIpAddress),
            [instanceType]: () => isTrue(props.associatePublicIpAddress),
            [spotInstanceType]: () => isTrue(props.associatePublicIpAddress),
            // An Elastic IP on an instance or its interface is a public address too (a NAT gateway takes its EIP by allocationId).
            "aws:ec2/eip:Eip": () => typeof props.instance === "string" || typeof props.networkInterface === "string",
            "aws:ec2/eipAssociation:EipAssociation": () => typeof props.instanceId === "string" || typeof props.networkInterfaceId === "string",
        }[args.type];
        if (publicIp !== undefined && known(publicIp) === true) reportViolation(`${args.type.split(":").pop()} "${args.name}" associates a public IP address`);
    },
};

export const groupCapacity: ResourceValidationPolicy = {
    name: "keel-asg-minimum-capacity",
    description: "Auto Scaling groups in the serving regions keep at least the environment's minimum capacity (production 2: the guides' two application servers).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { minSize: { type: "integer", default: 0 }, regions: { type: "array", items: { type: "string" }, default: [] } } },
    validateResource: (args, reportViolation) => {
        if (args.type !== groupType) return;
        const { minSize = 0, regions = [] } = args.getConfig<{ minSize?: number; regions?: string[] }>();
        const region = regionOf(args);
        if (regions.length > 0 && (region === undefined || !regions.includes(region))) return;
        const given = typeof args.props.minSize === "number" ? args.props.minSize : 0;
        if (given < minSize) reportViolation(`Group "${args.name}" keeps ${given} instances minimum in ${region ?? "its region"}; at least ${minSize} required`);
    },
};

export const groupHealthChecks: ResourceValidationPolicy = {
    name: "keel-asg-elb-health-checks",
    description: "Auto Scaling groups behind a load balancer replace instances the load balancer finds unhealthy (health check type ELB).",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        if (args.type !== groupType) return;
        const behindLoadBalancer = list(args.props.targetGroupArns).length > 0 || list(args.props.trafficSources).length > 0;
        if (behindLoadBalancer && args.props.healthCheckType !== "ELB") reportViolation(`Group "${args.name}" is behind a load balancer but uses ${String(args.props.healthCheckType ?? "EC2")} health checks`);
    },
};

export const groupScaling: StackValidationPolicy = {
    name: "keel-asg-scaling-policy",
    description: "Where required (production), every Auto Scaling group has a scaling policy.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { required: { type: "boolean", default: false } } },
    validateStack: (args, reportViolation) => {
        if (!args.getConfig<{ required?: boolean }>().required) return;
        const scaled = new Set(args.resources.filter((r) => r.type === scalingPolicyType).flatMap((p) => p.dependencies.filter((d) => d.type === groupType).map((d) => d.urn)));
        for (const group of args.resources.filter((r) => r.type === groupType && !scaled.has(r.urn))) {
            reportViolation(`Auto Scaling group "${group.name}" has no scaling policy`, group.urn);
        }
    },
};

/** Where each type keeps its user data: plain text or base64 (cloud-init also takes gzip). */
const userDataInputs: Record<string, (props: Record<string, unknown>) => unknown[]> = {
    [launchTemplateType]: (p) => [p.userData],
    [launchConfigurationType]: (p) => [p.userData, p.userDataBase64],
    [instanceType]: (p) => [p.userData, p.userDataBase64],
    [spotInstanceType]: (p) => [p.userData, p.userDataBase64],
    "aws:ec2/spotFleetRequest:SpotFleetRequest": (p) => list(p.launchSpecifications).map((s) => s.userData),
};

export const userDataSecrets: ResourceValidationPolicy = {
    name: "keel-ec2-user-data-secrets",
    description: "User data (decoded: base64, gzip, cloud-init b64 files) holds no credentials — access keys, private keys, tokens, literal passwords or URLs with passwords; instances read them at boot from Secrets Manager with their role.",
    enforcementLevel: "mandatory",
    configSchema: { properties: { enabled: { type: "boolean", default: true } } },
    validateResource: (args, reportViolation) => {
        if (args.getConfig<{ enabled?: boolean }>().enabled === false) return;
        const read = userDataInputs[args.type];
        if (read === undefined) return;
        const values = known(() => read(args.props).filter((v): v is string => typeof v === "string"));
        if (values === notKnown) return;
        const kinds = [...new Set(values.flatMap(userDataCredentials))];
        if (kinds.length > 0) {
            reportViolation(`${args.type.split(":").pop()} "${args.name}" has credentials in its user data (${kinds.join("; ")}): anyone who can describe it, and every process on the instance, reads them — fetch them at boot from Secrets Manager with the instance role (Checkov CKV_AWS_46)`);
        }
    },
};

export const computePolicies = [imdsV2, encryptedVolumes, noPublicIp, groupCapacity, groupHealthChecks, groupScaling, userDataSecrets];
