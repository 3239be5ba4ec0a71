import { userDataCredentials } from "./compute-user-data";
import { known, named, notKnown } from "./network-graph";
import { resourcePolicy, setting, stackPolicy } from "./policy";
import { isTrue, list, object, regionOf } from "./props";

/** EC2, launch template and Auto Scaling rules (AWS FSBP EC2.8, EC2.9, AutoScaling.1/3/5, CIS 5.6, Checkov CKV_AWS_46). */

const launchTemplateType = "aws:ec2/launchTemplate:LaunchTemplate";
const launchConfigurationType = "aws:ec2/launchConfiguration:LaunchConfiguration";
const instanceType = "aws:ec2/instance:Instance";
const spotInstanceType = "aws:ec2/spotInstanceRequest:SpotInstanceRequest";
const groupType = "aws:autoscaling/group:Group";
const scalingPolicyType = "aws:autoscaling/policy:Policy";
const volumeType = "aws:ebs/volume:Volume";

export const imdsV2 = resourcePolicy({
    name: "keel-ec2-imdsv2",
    description: "Instances and launch templates require IMDSv2 session tokens (no IMDSv1).",
    types: [launchTemplateType, launchConfigurationType, instanceType, spotInstanceType],
    check: function* (instance) {
        const tokens = object(instance.props.metadataOptions).httpTokens;
        if (tokens !== "required") yield `${named(instance)} does not require IMDSv2 (metadataOptions.httpTokens is ${String(tokens ?? "unset")})`;
    },
});

export const encryptedVolumes = resourcePolicy({
    name: "keel-ec2-encrypted-volumes",
    description: "EBS volumes, launch template disks and instance root volumes are encrypted.",
    types: [volumeType, launchTemplateType, instanceType],
    check: function* (resource) {
        const { type, props } = resource;
        const unencrypted = (what: string) => `${named(resource)} has an unencrypted ${what}`;
        if (type === volumeType && !isTrue(props.encrypted)) yield unencrypted("volume");
        if (type === launchTemplateType) {
            const mappings = list(props.blockDeviceMappings);
            if (mappings.length === 0) yield unencrypted("root volume (no block device mapping: the AMI's default)");
            // Instance-store (`virtualName`) and suppressed (`noDevice`) mappings carry no EBS volume.
            for (const mapping of mappings.filter((m) => m.ebs !== undefined || (m.virtualName === undefined && m.noDevice === undefined))) {
                if (!isTrue(object(mapping.ebs).encrypted)) yield unencrypted(`volume ${String(mapping.deviceName)}`);
            }
        }
        if (type === instanceType && !isTrue(object(props.rootBlockDevice).encrypted)) yield unencrypted("root volume");
    },
});

/** Whether a resource of each type gets a public address. */
const publicAddress: Record<string, (props: Record<string, unknown>) => boolean> = {
    [launchTemplateType]: (props) => list(props.networkInterfaces).some((n) => isTrue(n.associatePublicIpAddress)),
    [launchConfigurationType]: (props) => isTrue(props.associatePublicIpAddress),
    [instanceType]: (props) => isTrue(props.associatePublicIpAddress),
    [spotInstanceType]: (props) => isTrue(props.associatePublicIpAddress),
    // An Elastic IP on an instance or its interface is a public address too (a NAT gateway takes its EIP by allocationId).
    "aws:ec2/eip:Eip": (props) => typeof props.instance === "string" || typeof props.networkInterface === "string",
    "aws:ec2/eipAssociation:EipAssociation": (props) => typeof props.instanceId === "string" || typeof props.networkInterfaceId === "string",
};

export const noPublicIp = resourcePolicy({
    name: "keel-ec2-no-public-ip",
    description: "Instances, launch templates and launch configurations get no public IP address, nor an Elastic IP: they sit behind load balancers in private subnets.",
    types: Object.keys(publicAddress),
    check: function* (resource) {
        if (known(() => publicAddress[resource.type](resource.props)) === true) yield `${named(resource)} associates a public IP address`;
    },
});

export const groupCapacity = resourcePolicy({
    name: "keel-asg-minimum-capacity",
    description: "Auto Scaling groups in the serving regions keep at least the environment's minimum capacity (production 2: the guides' two application servers).",
    types: [groupType],
    config: { minSize: setting.integer(0), regions: setting.strings([]) },
    check: function* (group, { minSize, regions }) {
        const region = regionOf(group);
        if (regions.length > 0 && (region === undefined || !regions.includes(region))) return;
        const given = typeof group.props.minSize === "number" ? group.props.minSize : 0;
        if (given < minSize) yield `Group "${group.name}" keeps ${given} instances minimum in ${region ?? "its region"}; at least ${minSize} required`;
    },
});

export const groupHealthChecks = resourcePolicy({
    name: "keel-asg-elb-health-checks",
    description: "Auto Scaling groups behind a load balancer replace instances the load balancer finds unhealthy (health check type ELB).",
    types: [groupType],
    check: function* ({ name, props }) {
        const behindLoadBalancer = list(props.targetGroupArns).length > 0 || list(props.trafficSources).length > 0;
        if (behindLoadBalancer && props.healthCheckType !== "ELB") yield `Group "${name}" is behind a load balancer but uses ${String(props.healthCheckType ?? "EC2")} health checks`;
    },
});

export const groupScaling = stackPolicy({
    name: "keel-asg-scaling-policy",
    description: "Where required (production), every Auto Scaling group has a scaling policy.",
    config: { required: setting.switch(false) },
    check: function* ({ resources }) {
        const scaled = new Set(resources.filter((r) => r.type === scalingPolicyType).flatMap((p) => p.dependencies.filter((d) => d.type === groupType).map((d) => d.urn)));
        for (const group of resources.filter((r) => r.type === groupType && !scaled.has(r.urn))) yield [`Auto Scaling group "${group.name}" has no scaling policy`, group.urn];
    },
});

/** Where each type keeps its user data: plain text or base64 (cloud-init also takes gzip). */
const userDataInputs: Record<string, (props: Record<string, unknown>) => unknown[]> = {
    [launchTemplateType]: (p) => [p.userData],
    [launchConfigurationType]: (p) => [p.userData, p.userDataBase64],
    [instanceType]: (p) => [p.userData, p.userDataBase64],
    [spotInstanceType]: (p) => [p.userData, p.userDataBase64],
    "aws:ec2/spotFleetRequest:SpotFleetRequest": (p) => list(p.launchSpecifications).map((s) => s.userData),
};

export const userDataSecrets = resourcePolicy({
    name: "keel-ec2-user-data-secrets",
    description: "User data (decoded: base64, gzip, cloud-init b64 files) holds no credentials — access keys, private keys, tokens, literal passwords or URLs with passwords; instances read them at boot from Secrets Manager with their role.",
    types: Object.keys(userDataInputs),
    check: function* (resource) {
        const values = known(() => userDataInputs[resource.type](resource.props).filter((v): v is string => typeof v === "string"));
        if (values === notKnown) return;
        const kinds = [...new Set(values.flatMap(userDataCredentials))];
        if (kinds.length > 0) {
            yield `${named(resource)} has credentials in its user data (${kinds.join("; ")}): anyone who can describe it, and every process on the instance, reads them — fetch them at boot from Secrets Manager with the instance role (Checkov CKV_AWS_46)`;
        }
    },
});

export const computePolicies = [imdsV2, encryptedVolumes, noPublicIp, groupCapacity, groupHealthChecks, groupScaling, userDataSecrets];
