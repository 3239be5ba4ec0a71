/**
 * Classification of the AWS resource types Keel creates. Tests check that every AWS type in
 * any environment's plan is listed here, so a new resource cannot slip past the tag policy.
 */

/** Types whose AWS API accepts tags (and so must carry Keel's required tags). */
export const taggableAwsTypes: ReadonlySet<string> = new Set([
    "aws:acm/certificate:Certificate",
    "aws:autoscaling/group:Group",
    "aws:backup/plan:Plan",
    "aws:backup/restoreTestingPlan:RestoreTestingPlan",
    "aws:backup/vault:Vault",
    "aws:budgets/budget:Budget",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:cloudwatch/metricAlarm:MetricAlarm",
    "aws:costexplorer/anomalyMonitor:AnomalyMonitor",
    "aws:costexplorer/anomalySubscription:AnomalySubscription",
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup",
    "aws:ec2/eip:Eip",
    "aws:ec2/flowLog:FlowLog",
    "aws:ec2/internetGateway:InternetGateway",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:ec2/natGateway:NatGateway",
    "aws:ec2/routeTable:RouteTable",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:ec2/subnet:Subnet",
    "aws:ec2/vpc:Vpc",
    "aws:ec2/vpcEndpoint:VpcEndpoint",
    "aws:ec2/vpcPeeringConnection:VpcPeeringConnection",
    "aws:ec2/vpcPeeringConnectionAccepter:VpcPeeringConnectionAccepter",
    "aws:eks/addon:Addon",
    "aws:eks/cluster:Cluster",
    "aws:eks/nodeGroup:NodeGroup",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider",
    "aws:iam/policy:Policy",
    "aws:iam/role:Role",
    "aws:kms/key:Key",
    "aws:lb/listener:Listener",
    "aws:cloudfront/distribution:Distribution",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:elasticache/subnetGroup:SubnetGroup",
    "aws:lb/listenerRule:ListenerRule",
    "aws:lb/loadBalancer:LoadBalancer",
    "aws:lb/targetGroup:TargetGroup",
    "aws:rds/cluster:Cluster",
    "aws:rds/clusterInstance:ClusterInstance",
    "aws:rds/clusterParameterGroup:ClusterParameterGroup",
    "aws:rds/eventSubscription:EventSubscription",
    "aws:rds/globalCluster:GlobalCluster",
    "aws:rds/instance:Instance",
    "aws:rds/parameterGroup:ParameterGroup",
    "aws:rds/subnetGroup:SubnetGroup",
    "aws:route53/healthCheck:HealthCheck",
    "aws:route53/zone:Zone",
    "aws:s3/bucket:Bucket",
    "aws:secretsmanager/secret:Secret",
    "aws:sns/topic:Topic",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:wafv2/ipSet:IpSet",
    "aws:wafv2/webAcl:WebAcl",
]);

/**
 * Taggable types the AWS provider does not apply its `defaultTags` to (they have no `tagsAll`):
 * an autoscaling group takes its tags as a list of `{ key, value, propagateAtLaunch }` and
 * must carry every required tag itself.
 */
export const awsTypesWithoutDefaultTags: ReadonlySet<string> = new Set(["aws:autoscaling/group:Group"]);

/** Types whose AWS API takes no tags (associations, attachments, inline policies, settings). */
export const untaggableAwsTypes: ReadonlySet<string> = new Set([
    "aws:acm/certificateValidation:CertificateValidation",
    "aws:autoscaling/policy:Policy",
    "aws:backup/restoreTestingSelection:RestoreTestingSelection",
    "aws:backup/selection:Selection",
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
    "aws:backup/vaultNotifications:VaultNotifications",
    "aws:ec2/route:Route",
    "aws:ec2/routeTableAssociation:RouteTableAssociation",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:kms/alias:Alias",
    "aws:rds/instanceAutomatedBackupsReplication:InstanceAutomatedBackupsReplication",
    "aws:route53/record:Record",
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
    "aws:s3/bucketLogging:BucketLogging",
    "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    "aws:s3/bucketPolicy:BucketPolicy",
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    "aws:sns/topicSubscription:TopicSubscription",
    "aws:s3/bucketReplicationConfig:BucketReplicationConfig",
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketVersioning:BucketVersioning",
    "aws:secretsmanager/secretVersion:SecretVersion",
    "aws:sns/topicPolicy:TopicPolicy",
]);

/** Types that hold data or keys: losing one loses data, so production protects them. */
export const statefulAwsTypes: ReadonlySet<string> = new Set([
    "aws:backup/vault:Vault",
    "aws:dynamodb/table:Table",
    "aws:ebs/volume:Volume",
    "aws:efs/fileSystem:FileSystem",
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    "aws:elasticache/replicationGroup:ReplicationGroup",
    "aws:kms/key:Key",
    "aws:opensearch/domain:Domain",
    "aws:rds/cluster:Cluster",
    "aws:rds/globalCluster:GlobalCluster",
    "aws:rds/instance:Instance",
    // A deleted zone takes its records with it, and a new one gets new name servers to delegate.
    "aws:route53/zone:Zone",
    "aws:s3/bucket:Bucket",
    "aws:secretsmanager/secret:Secret",
]);
