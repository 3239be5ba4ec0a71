import { createHash } from "node:crypto";

/**
 * What the offline plan answers in place of the cloud: realistic ids, ARNs, endpoints and
 * DNS names per resource type, and plausible results for the data-source invokes Keel uses,
 * so that wiring between resources is exercised with values shaped like the real ones.
 */

export const mockAccountId = "123456789012";

/** Deterministic hex of a given length, so plans are stable from run to run. */
export function stableHex(seed: string, length: number): string {
    let hex = "";
    for (let i = 0; hex.length < length; i++) hex += createHash("sha256").update(`${seed}#${i}`).digest("hex");
    return hex.slice(0, length);
}

function stableUuid(seed: string): string {
    const h = stableHex(seed, 32);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Canonical hosted zone ids of Application Load Balancers per region (Elastic Load Balancing endpoints). */
const albHostedZoneIds: Record<string, string> = {
    "us-east-1": "Z35SXDOTRQ7X7K",
    "us-east-2": "Z3AADJGX6KTTL2",
    "us-west-1": "Z368ELLRRE2KJ0",
    "us-west-2": "Z1H1FL5HABSF5",
    "eu-west-1": "Z32O12XQLNTSW2",
    "eu-central-1": "Z215JYRZR1TBD5",
};

export interface MockContext {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, unknown>;
    readonly region: string;
}

type Computed = (c: MockContext & { readonly hex: (n: number) => string; readonly physicalName: string }) => {
    id: string;
    state?: Record<string, unknown>;
};

const arn = (service: string, region: string, resource: string) => `arn:aws:${service}:${region}:${mockAccountId}:${resource}`;
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
const ec2Id = (prefix: string, kind: string): Computed => ({ hex, region }) => {
    const id = `${prefix}-${hex(17)}`;
    return { id, state: { arn: arn("ec2", region, `${kind}/${id}`) } };
};

/** A Kubernetes object: the name it was given, or Pulumi's auto-name, in its namespace. */
function kubernetesObject({ inputs, physicalName }: { inputs: Record<string, unknown>; physicalName: string }) {
    const metadata = typeof inputs.metadata === "object" && inputs.metadata !== null ? (inputs.metadata as Record<string, unknown>) : {};
    const name = str(metadata.name) ?? physicalName;
    const namespace = str(metadata.namespace) ?? "default";
    return { id: `${namespace}/${name}`, state: { metadata: { ...metadata, name, namespace } } };
}

/** A cluster-scoped Kubernetes object: the name it was given, or Pulumi's auto-name. */
function clusterObject({ inputs, physicalName }: { inputs: Record<string, unknown>; physicalName: string }) {
    const metadata = typeof inputs.metadata === "object" && inputs.metadata !== null ? (inputs.metadata as Record<string, unknown>) : {};
    const name = str(metadata.name) ?? physicalName;
    return { id: name, state: { metadata: { ...metadata, name } } };
}

/** The Elastic Load Balancing account that writes access logs in a region opened before August 2022 (Elastic Load Balancing guide). */
const elbLogDeliveryAccounts: Record<string, string> = {
    "us-east-1": "127311923021",
    "us-east-2": "033677994240",
    "us-west-1": "027434742980",
    "us-west-2": "797873946194",
    "eu-west-1": "156460612806",
    "eu-central-1": "054676820928",
};

/** An RDS subnet or parameter group: RDS lower-cases their names. */
const rdsGroup = (kind: string): Computed => ({ physicalName, region }) => {
    const name = physicalName.toLowerCase();
    return { id: name, state: { name, arn: arn("rds", region, `${kind}:${name}`) } };
};

const computedByType: Record<string, Computed> = {
    "aws:ec2/vpc:Vpc": ({ hex, region }) => {
        const id = `vpc-${hex(17)}`;
        return { id, state: { arn: arn("ec2", region, `vpc/${id}`), defaultSecurityGroupId: `sg-${hex(16)}`, mainRouteTableId: `rtb-${hex(16)}`, ownerId: mockAccountId } };
    },
    "aws:ec2/subnet:Subnet": ec2Id("subnet", "subnet"),
    "aws:ec2/internetGateway:InternetGateway": ec2Id("igw", "internet-gateway"),
    "aws:ec2/natGateway:NatGateway": ({ hex }) => ({ id: `nat-${hex(17)}`, state: { publicIp: `203.0.113.${parseInt(hex(2), 16) % 254 + 1}` } }),
    "aws:ec2/eip:Eip": ({ hex }) => ({ id: `eipalloc-${hex(17)}`, state: { allocationId: `eipalloc-${hex(17)}`, publicIp: `198.51.100.${parseInt(hex(2), 16) % 254 + 1}` } }),
    "aws:ec2/routeTable:RouteTable": ec2Id("rtb", "route-table"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": ({ hex }) => ({ id: `rtbassoc-${hex(17)}` }),
    "aws:ec2/securityGroup:SecurityGroup": ec2Id("sg", "security-group"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ec2Id("sg", "security-group"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ({ hex, region }) => {
        const id = `vpce-${hex(17)}`;
        return { id, state: { arn: arn("ec2", region, `vpc-endpoint/${id}`), prefixListId: `pl-${hex(8)}` } };
    },
    "aws:ec2/flowLog:FlowLog": ec2Id("fl", "vpc-flow-log"),
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection": ({ hex }) => ({ id: `pcx-${hex(17)}`, state: { acceptStatus: "pending-acceptance" } }),
    // The accepter's id is the connection's.
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter": ({ inputs }) => {
        const id = str(inputs.vpcPeeringConnectionId) ?? "pcx-unknown";
        return { id, state: { vpcPeeringConnectionId: id, acceptStatus: "active" } };
    },
    "aws:ec2/launchTemplate:LaunchTemplate": ({ hex, region }) => {
        const id = `lt-${hex(17)}`;
        return { id, state: { arn: arn("ec2", region, `launch-template/${id}`), latestVersion: 1, defaultVersion: 1 } };
    },
    "aws:cloudwatch/logGroup:LogGroup": ({ physicalName, region }) => ({
        id: physicalName,
        state: { name: physicalName, arn: arn("logs", region, `log-group:${physicalName}`) },
    }),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ({ physicalName, region }) => ({ id: physicalName, state: { name: physicalName, arn: arn("cloudwatch", region, `alarm:${physicalName}`) } }),
    "aws:iam/role:Role": ({ physicalName, hex }) => ({
        id: physicalName,
        state: { name: physicalName, arn: `arn:aws:iam::${mockAccountId}:role/${physicalName}`, uniqueId: `AROA${hex(17).toUpperCase()}` },
    }),
    "aws:iam/policy:Policy": ({ physicalName }) => ({ id: `arn:aws:iam::${mockAccountId}:policy/${physicalName}`, state: { name: physicalName, arn: `arn:aws:iam::${mockAccountId}:policy/${physicalName}` } }),
    "aws:iam/instanceProfile:InstanceProfile": ({ physicalName }) => ({ id: physicalName, state: { name: physicalName, arn: `arn:aws:iam::${mockAccountId}:instance-profile/${physicalName}` } }),
    "aws:iam/rolePolicy:RolePolicy": ({ inputs, physicalName }) => ({ id: `${str(inputs.role) ?? "role"}:${physicalName}`, state: { name: physicalName } }),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": ({ inputs, hex }) => ({ id: `${str(inputs.role) ?? "role"}-${hex(8)}` }),
    "aws:s3/bucket:Bucket": ({ inputs, physicalName, region }) => {
        const bucket = str(inputs.bucket) ?? physicalName.toLowerCase();
        return {
            id: bucket,
            state: {
                bucket,
                arn: `arn:aws:s3:::${bucket}`,
                bucketDomainName: `${bucket}.s3.amazonaws.com`,
                bucketRegionalDomainName: `${bucket}.s3.${region}.amazonaws.com`,
                hostedZoneId: "Z3AQBSTGFYJSTF",
                region,
            },
        };
    },
    "aws:kms/key:Key": ({ name, region }) => {
        const keyId = stableUuid(`${region}/${name}`);
        return { id: keyId, state: { keyId, arn: arn("kms", region, `key/${keyId}`) } };
    },
    "aws:kms/alias:Alias": ({ inputs, physicalName, region }) => {
        const alias = str(inputs.name) ?? `alias/${physicalName}`;
        return { id: alias, state: { name: alias, arn: arn("kms", region, alias) } };
    },
    "aws:sns/topic:Topic": ({ physicalName, region }) => ({ id: arn("sns", region, physicalName), state: { name: physicalName, arn: arn("sns", region, physicalName) } }),
    "aws:secretsmanager/secret:Secret": ({ physicalName, region, hex }) => {
        const secretArn = arn("secretsmanager", region, `secret:${physicalName}-${hex(6)}`);
        return { id: secretArn, state: { name: physicalName, arn: secretArn } };
    },
    // Budgets and Cost Explorer are global: their ARNs name no region.
    "aws:budgets/budget:Budget": ({ physicalName }) => ({ id: `${mockAccountId}:${physicalName}`, state: { name: physicalName, accountId: mockAccountId, arn: `arn:aws:budgets::${mockAccountId}:budget/${physicalName}` } }),
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor": ({ name }) => {
        const monitorArn = `arn:aws:ce::${mockAccountId}:anomalymonitor/${stableUuid(`monitor/${name}`)}`;
        return { id: monitorArn, state: { arn: monitorArn } };
    },
    "aws:costexplorer/anomalySubscription:AnomalySubscription": ({ name }) => {
        const subscriptionArn = `arn:aws:ce::${mockAccountId}:anomalysubscription/${stableUuid(`subscription/${name}`)}`;
        return { id: subscriptionArn, state: { arn: subscriptionArn, accountId: mockAccountId } };
    },
    "aws:backup/vault:Vault": ({ physicalName, region }) => ({ id: physicalName, state: { name: physicalName, arn: arn("backup", region, `backup-vault:${physicalName}`), recoveryPoints: 0 } }),
    "aws:backup/plan:Plan": ({ physicalName, region, name }) => {
        const id = stableUuid(`${region}/${name}`);
        return { id, state: { name: physicalName, arn: arn("backup", region, `backup-plan:${id}`), version: stableHex(id, 32) } };
    },
    "aws:rds/instance:Instance": ({ inputs, physicalName, region, hex }) => {
        const identifier = str(inputs.identifier) ?? physicalName.toLowerCase();
        const address = `${identifier}.c${hex(11)}.${region}.rds.amazonaws.com`;
        const port = typeof inputs.port === "number" ? inputs.port : 5432;
        return {
            id: identifier,
            state: { identifier, address, port, endpoint: `${address}:${port}`, arn: arn("rds", region, `db:${identifier}`), hostedZoneId: "Z2R2ITUGPM61AM", resourceId: `db-${hex(26).toUpperCase()}` },
        };
    },
    "aws:rds/cluster:Cluster": ({ inputs, physicalName, region, hex }) => {
        const identifier = str(inputs.clusterIdentifier) ?? physicalName.toLowerCase();
        const host = `${identifier}.cluster-c${hex(11)}.${region}.rds.amazonaws.com`;
        return { id: identifier, state: { clusterIdentifier: identifier, endpoint: host, readerEndpoint: host.replace(".cluster-", ".cluster-ro-"), port: 5432, arn: arn("rds", region, `cluster:${identifier}`), clusterResourceId: `cluster-${hex(26).toUpperCase()}` } };
    },
    "aws:rds/clusterInstance:ClusterInstance": ({ inputs, physicalName, region, hex }) => {
        const identifier = str(inputs.identifier) ?? physicalName.toLowerCase();
        const endpoint = `${identifier}.c${hex(11)}.${region}.rds.amazonaws.com`;
        return { id: identifier, state: { identifier, endpoint, port: 5432, writer: inputs.promotionTier === 0, arn: arn("rds", region, `db:${identifier}`), dbiResourceId: `db-${hex(26).toUpperCase()}` } };
    },
    "aws:rds/globalCluster:GlobalCluster": ({ inputs, physicalName, hex }) => {
        const identifier = str(inputs.globalClusterIdentifier) ?? physicalName;
        // Global clusters are global: their ARN names no region.
        return { id: identifier, state: { globalClusterIdentifier: identifier, arn: `arn:aws:rds::${mockAccountId}:global-cluster:${identifier}`, globalClusterResourceId: `cluster-${hex(26).toUpperCase()}` } };
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": ({ inputs, physicalName, region, hex }) => {
        const id = (str(inputs.replicationGroupId) ?? physicalName).toLowerCase();
        // Cluster mode disabled with in-transit encryption: master.<id>.<hash>.<region code>.cache.amazonaws.com.
        const [area, direction, number] = region.split("-");
        const zone = `${hex(6)}.${area}${direction.replace(/(north|south)?(east|west)?(central)?/, (_, ns = "", ew = "", c = "") => `${ns.charAt(0)}${ew.charAt(0)}${c.charAt(0)}`)}${number}`;
        const nodes = typeof inputs.numCacheClusters === "number" ? inputs.numCacheClusters : 1;
        return {
            id,
            state: {
                replicationGroupId: id,
                arn: arn("elasticache", region, `replicationgroup:${id}`),
                primaryEndpointAddress: `master.${id}.${zone}.cache.amazonaws.com`,
                readerEndpointAddress: `replica.${id}.${zone}.cache.amazonaws.com`,
                port: typeof inputs.port === "number" ? inputs.port : 6379,
                memberClusters: Array.from({ length: nodes }, (_, i) => `${id}-${String(i + 1).padStart(3, "0")}`),
                engineVersionActual: `${str(inputs.engineVersion) ?? "8.0"}.1`,
            },
        };
    },
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": ({ inputs, physicalName, hex }) => {
        // AWS prefixes the suffix with five letters of its own; global groups' ARNs name no region.
        const prefix = [...hex(5)].map((c) => String.fromCharCode(97 + (parseInt(c, 16) % 26))).join("");
        const id = `${prefix}-${str(inputs.globalReplicationGroupIdSuffix) ?? physicalName}`;
        return { id, state: { globalReplicationGroupId: id, arn: `arn:aws:elasticache::${mockAccountId}:globalreplicationgroup:${id}`, transitEncryptionEnabled: true, atRestEncryptionEnabled: true, authTokenEnabled: true } };
    },
    "aws:elasticache/subnetGroup:SubnetGroup": ({ inputs, physicalName, region }) => {
        const subnetGroupName = (str(inputs.name) ?? physicalName).toLowerCase();
        return { id: subnetGroupName, state: { name: subnetGroupName, arn: arn("elasticache", region, `subnetgroup:${subnetGroupName}`) } };
    },
    // CloudFront and CLOUDFRONT-scope WAF are global: distributions' ARNs name no region, web ACLs' name us-east-1's "global".
    "aws:cloudfront/distribution:Distribution": ({ hex }) => {
        const id = `E${hex(13).toUpperCase()}`;
        return { id, state: { arn: `arn:aws:cloudfront::${mockAccountId}:distribution/${id}`, domainName: `d${hex(13)}.cloudfront.net`, hostedZoneId: "Z2FDTNDATAQYW2", status: "Deployed", etag: `E${hex(12).toUpperCase()}` } };
    },
    "aws:wafv2/webAcl:WebAcl": ({ inputs, physicalName, region }) => {
        const aclName = str(inputs.name) ?? physicalName;
        const id = stableUuid(`webacl/${aclName}`);
        const scope = inputs.scope === "CLOUDFRONT" ? "global" : "regional";
        return { id, state: { name: aclName, arn: arn("wafv2", region, `${scope}/webacl/${aclName}/${id}`), capacity: 1200, lockToken: stableUuid(`lock/${aclName}`) } };
    },
    "aws:wafv2/ipSet:IpSet": ({ inputs, physicalName, region }) => {
        const setName = str(inputs.name) ?? physicalName;
        const id = stableUuid(`ipset/${setName}`);
        const scope = inputs.scope === "CLOUDFRONT" ? "global" : "regional";
        return { id, state: { name: setName, arn: arn("wafv2", region, `${scope}/ipset/${setName}/${id}`), lockToken: stableUuid(`lock/${setName}`) } };
    },
    "aws:rds/subnetGroup:SubnetGroup": rdsGroup("subgrp"),
    "aws:rds/parameterGroup:ParameterGroup": rdsGroup("pg"),
    "aws:rds/clusterParameterGroup:ClusterParameterGroup": rdsGroup("cluster-pg"),
    "aws:lb/loadBalancer:LoadBalancer": ({ physicalName, region, hex }) => {
        const lbName = physicalName.slice(0, 32);
        const lbArn = arn("elasticloadbalancing", region, `loadbalancer/app/${lbName}/${hex(16)}`);
        return { id: lbArn, state: { arn: lbArn, arnSuffix: lbArn.split(":loadbalancer/")[1], name: lbName, dnsName: `${lbName}-${parseInt(hex(8), 16)}.${region}.elb.amazonaws.com`, zoneId: albHostedZoneIds[region] ?? "Z35SXDOTRQ7X7K" } };
    },
    "aws:lb/targetGroup:TargetGroup": ({ physicalName, region, hex }) => {
        const tgArn = arn("elasticloadbalancing", region, `targetgroup/${physicalName.slice(0, 32)}/${hex(16)}`);
        return { id: tgArn, state: { arn: tgArn, arnSuffix: tgArn.split(":")[5], name: physicalName.slice(0, 32) } };
    },
    "aws:route53/zone:Zone": ({ inputs, hex }) => {
        const zoneId = `Z${hex(20).toUpperCase()}`;
        return { id: zoneId, state: { zoneId, arn: `arn:aws:route53:::hostedzone/${zoneId}`, nameServers: [1, 2, 3, 4].map((n) => `ns-${n * 311}.awsdns-${n * 7}.${["com", "net", "org", "co.uk"][n - 1]}`), name: inputs.name } };
    },
    "aws:route53/healthCheck:HealthCheck": ({ name, region }) => ({ id: stableUuid(`${region}/${name}`) }),
    "aws:route53/record:Record": ({ inputs }) => {
        const fqdn = (str(inputs.name) ?? "record").replace(/\.$/, "");
        return { id: `${str(inputs.zoneId) ?? "Z0"}_${fqdn}_${str(inputs.type) ?? "A"}${str(inputs.setIdentifier) ? `_${str(inputs.setIdentifier)}` : ""}`, state: { fqdn } };
    },
    "aws:acm/certificate:Certificate": ({ inputs, name, region }) => {
        const certArn = arn("acm", region, `certificate/${stableUuid(name)}`);
        const domain = str(inputs.domainName) ?? "example.com";
        return { id: certArn, state: { arn: certArn, domainValidationOptions: [{ domainName: domain, resourceRecordName: `_${stableHex(domain, 32)}.${domain}.`, resourceRecordType: "CNAME", resourceRecordValue: `_${stableHex(name, 32)}.acm-validations.aws.` }] } };
    },
    "aws:autoscaling/group:Group": ({ physicalName, region, name }) => ({ id: physicalName, state: { name: physicalName, arn: arn("autoscaling", region, `autoScalingGroup:${stableUuid(name)}:autoScalingGroupName/${physicalName}`) } }),
    "aws:eks/cluster:Cluster": ({ inputs, physicalName, region, hex }) => ({
        id: physicalName,
        state: {
            name: physicalName,
            vpcConfig: { ...(typeof inputs.vpcConfig === "object" ? inputs.vpcConfig : {}), clusterSecurityGroupId: `sg-${hex(17)}`, vpcId: `vpc-${stableHex(`${physicalName}-vpc`, 17)}` },
            arn: arn("eks", region, `cluster/${physicalName}`),
            endpoint: `https://${hex(32).toUpperCase()}.gr7.${region}.eks.amazonaws.com`,
            certificateAuthority: { data: Buffer.from("offline-plan-ca").toString("base64") },
            identities: [{ oidcs: [{ issuer: `https://oidc.eks.${region}.amazonaws.com/id/${hex(32).toUpperCase()}` }] }],
        },
    }),
    "aws:eks/nodeGroup:NodeGroup": ({ inputs, physicalName, region, hex }) => ({
        id: `${str(inputs.clusterName) ?? "cluster"}:${physicalName}`,
        state: { nodeGroupName: physicalName, arn: arn("eks", region, `nodegroup/${str(inputs.clusterName) ?? "cluster"}/${physicalName}/${stableUuid(hex(8))}`), status: "ACTIVE" },
    }),
    "aws:eks/addon:Addon": ({ inputs, region, hex }) => ({
        id: `${str(inputs.clusterName) ?? "cluster"}:${str(inputs.addonName) ?? "addon"}`,
        state: { arn: arn("eks", region, `addon/${str(inputs.clusterName) ?? "cluster"}/${str(inputs.addonName) ?? "addon"}/${stableUuid(hex(8))}`), addonVersion: "v1.45.0-eksbuild.1" },
    }),
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": ({ inputs }) => {
        const host = (str(inputs.url) ?? "oidc.example").replace(/^https:\/\//, "");
        const oidcArn = `arn:aws:iam::${mockAccountId}:oidc-provider/${host}`;
        return { id: oidcArn, state: { arn: oidcArn } };
    },
    "kubernetes:apps/v1:Deployment": kubernetesObject,
    "kubernetes:core/v1:Service": kubernetesObject,
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": kubernetesObject,
    "kubernetes:policy/v1:PodDisruptionBudget": kubernetesObject,
    // Namespaces and storage classes are cluster-scoped: their id is their name.
    "kubernetes:core/v1:Namespace": clusterObject,
    "kubernetes:storage.k8s.io/v1:StorageClass": clusterObject,
    "kubernetes:core/v1:Secret": kubernetesObject,
    "kubernetes:core/v1:ConfigMap": kubernetesObject,
    "kubernetes:core/v1:PersistentVolumeClaim": kubernetesObject,
    "kubernetes:monitoring.coreos.com/v1:PrometheusRule": kubernetesObject,
    "kubernetes:helm.sh/v3:Release": ({ inputs, physicalName }) => {
        const name = str(inputs.name) ?? physicalName;
        const namespace = str(inputs.namespace) ?? "default";
        return { id: `${namespace}/${name}`, state: { name, namespace, status: { name, namespace, chart: inputs.chart, version: inputs.version, status: "deployed", revision: 1 } } };
    },
    "docker:index/network:Network": ({ physicalName, hex }) => ({ id: hex(64), state: { name: physicalName } }),
    "docker:index/volume:Volume": ({ physicalName }) => ({ id: physicalName, state: { name: physicalName } }),
    "docker:index/container:Container": ({ physicalName, hex }) => ({ id: hex(64), state: { name: physicalName } }),
    "docker:index/remoteImage:RemoteImage": ({ inputs, hex }) => ({ id: `sha256:${hex(64)}${str(inputs.name) ?? ""}`, state: { imageId: `sha256:${hex(64)}`, repoDigest: `${str(inputs.name)?.split(":")[0] ?? "image"}@sha256:${hex(64)}` } }),
    "random:index/randomPassword:RandomPassword": ({ hex }) => ({ id: "none", state: { result: `offline-${hex(24)}`, bcryptHash: `$2a$10$${hex(53)}` } }),
};

/** Pulumi's auto-naming: the logical name plus a random suffix (here a stable one). */
function physicalName(c: MockContext, hex: (n: number) => string): string {
    const explicit = str(c.inputs.name) ?? str(c.inputs.bucket) ?? str(c.inputs.identifier);
    if (explicit !== undefined) return explicit;
    const prefix = str(c.inputs.namePrefix) ?? str(c.inputs.bucketPrefix) ?? `${c.name}-`;
    return `${prefix}${hex(7)}`;
}

/** The id and output state the offline plan gives a newly registered resource. */
export function mockResource(c: MockContext): { id: string; state: Record<string, unknown> } {
    const hex = (n: number) => stableHex(`${c.type}/${c.region}/${c.name}`, n);
    const computed = computedByType[c.type];
    if (c.type.startsWith("pulumi:providers:")) return { id: stableUuid(c.name), state: c.inputs };
    const name = physicalName(c, hex);
    const result = computed ? computed({ ...c, hex, physicalName: name }) : { id: `${c.name}-${hex(8)}` };
    const genericArn = c.type.startsWith("aws:") ? { arn: arn(c.type.split(/[:/]/)[1], c.region, `${c.type.split(":")[2]?.toLowerCase()}/${result.id}`) } : {};
    return { id: result.id, state: { ...genericArn, ...c.inputs, ...result.state } };
}

const azLetters = ["a", "b", "c", "d", "e", "f"];
/** AZ ids differ from names per account; these follow AWS's `use1-az1` form. */
function zoneIdPrefix(region: string): string {
    const [geo, direction, number] = region.split("-");
    return `${geo}${direction[0]}${number}`;
}

type InvokeAnswer = (inputs: Record<string, unknown>, region: string) => Record<string, unknown>;

const invokeAnswers: Record<string, InvokeAnswer> = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": (_, region) => ({
        id: region,
        names: azLetters.map((l) => `${region}${l}`),
        zoneIds: azLetters.map((_l, i) => `${zoneIdPrefix(region)}-az${i + 1}`),
        groupNames: [region],
        state: "available",
    }),
    "aws:index/getCallerIdentity:getCallerIdentity": () => ({
        id: mockAccountId,
        accountId: mockAccountId,
        arn: `arn:aws:sts::${mockAccountId}:assumed-role/keel-deployer/offline-plan`,
        userId: "AROAOFFLINEPLAN:offline-plan",
    }),
    "aws:index/getRegion:getRegion": (_, region) => ({
        id: region,
        name: region,
        region,
        endpoint: `ec2.${region}.amazonaws.com`,
        description: region,
    }),
    "aws:index/getPartition:getPartition": () => ({ id: "aws", partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws" }),
    "aws:elb/getServiceAccount:getServiceAccount": (_, region) => {
        const account = elbLogDeliveryAccounts[region];
        if (account === undefined) throw new MissingMockError(`the offline plan knows no Elastic Load Balancing account for ${region}`);
        return { id: account, arn: `arn:aws:iam::${account}:root`, region };
    },
    // AWS-managed prefix lists: CloudFront's origin-facing list (counted as 55 rules in a security group) and Route 53's health checkers (25).
    "aws:ec2/getManagedPrefixList:getManagedPrefixList": (inputs, region) => {
        const listName = String(inputs.name);
        const id = `pl-${stableHex(`${region}/${listName}`, 8)}`;
        return { id, name: listName, arn: arn("ec2", region, `prefix-list/${id}`), addressFamily: "IPv4", maxEntries: listName.includes("cloudfront") ? 55 : 25, ownerId: "AWS", version: 1, entries: [], filters: [] };
    },
    "aws:ssm/getParameter:getParameter": (inputs, region) => ({
        id: String(inputs.name),
        name: inputs.name,
        type: "String",
        value: `ami-${stableHex(`${region}/${String(inputs.name)}`, 17)}`,
        arn: arn("ssm", region, `parameter${String(inputs.name)}`),
        version: 1,
    }),
};

/** A gap in the offline answers; `details` is what the SDK reports of a failed invoke (gRPC style). */
class MissingMockError extends Error {
    readonly details = this.message;
}

/** The answer to a data-source invoke, or an error naming the invoke so it can be added here. */
export function mockInvoke(token: string, inputs: Record<string, unknown>, region: string): Record<string, unknown> {
    const answer = invokeAnswers[token];
    if (!answer) throw new MissingMockError(`the offline plan has no answer for invoke ${token}: add one to offline-plan/mocks.ts`);
    return answer(inputs, region);
}
