import * as aws from "@pulumi/aws";
import * as eks from "@pulumi/eks";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { EKS_UNSUPPORTED_ZONE_IDS, ExistingNetwork, existingNetworkProblems } from "../lib/subnets";

/** The port of istiod's sidecar-injection and validation webhooks, called by the API server. */
export const ISTIO_WEBHOOK_PORT = 15017;

/** The address range of a VPC the component creates. */
export const VPC_CIDR = "10.0.0.0/16";

/**
 * Subnet ranges of a created VPC, one of each per availability zone (EKS needs two zones at
 * least): small public ones for load balancers, large private ones for nodes and pods.
 */
export const PUBLIC_SUBNET_CIDRS = ["10.0.0.0/22", "10.0.4.0/22"];
export const PRIVATE_SUBNET_CIDRS = ["10.0.128.0/19", "10.0.160.0/19"];

/**
 * The AWS managed policies every EKS worker node needs, by name: their ARNs start with the
 * partition (`arn:aws-cn:...` in China), so they are built from a lookup of it.
 */
export const NODE_POLICY_NAMES = [
    "AmazonEKSWorkerNodePolicy",
    "AmazonEKS_CNI_Policy",
    "AmazonEC2ContainerRegistryReadOnly",
];

/** The EKS access policy given to `adminPrincipalArns`, by name (its ARN names the partition). */
export const CLUSTER_ADMIN_POLICY_NAME = "AmazonEKSClusterAdminPolicy";

/**
 * The lookup of zones a created VPC may use: standard zones only. Local Zones and Wavelength
 * Zones the account opted into are listed too (and sort first in some regions), but EKS cannot
 * run a cluster in them.
 */
export const ZONE_QUERY = {
    state: "available",
    filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
    excludeZoneIds: EKS_UNSUPPORTED_ZONE_IDS,
};

/**
 * The instance metadata service (IMDSv2 only) answers the node itself, not its pods: no pod in
 * this stack needs it, and one more hop would hand every pod the node role's credentials.
 */
export const METADATA_HOP_LIMIT = 1;

/**
 * The key of a principal's access entry, from its ARN without the partition (the resource name of
 * the entry ends in it): `arn:aws:iam::123456789012:role/ops/Admin` gives
 * `admin-123456789012-role/ops/Admin`. Stable whatever else is listed, unlike a list position.
 */
export function accessEntryKey(principalArn: string): string {
    const [account, ...resource] = principalArn.split(":").slice(4);
    return `admin-${account}-${resource.join(":")}`;
}

/** Node counts of a managed node group; `min <= desired <= max`. */
export interface NodeScaling {
    /** The number of nodes to run. */
    desired: number;
    /** The fewest nodes the group may scale down to. */
    min: number;
    /** The most nodes the group may scale up to. */
    max: number;
}

/** An existing VPC and its subnets, to build the cluster in. */
export interface ExistingVpc {
    /** The VPC's ID. */
    vpcId: string;
    /** Public subnets, tagged `kubernetes.io/role/elb=1`, for internet-facing load balancers. */
    publicSubnetIds: string[];
    /** Private subnets for the nodes (without any, the nodes go to the public ones). */
    privateSubnetIds: string[];
}

/** Arguments of `EksCluster`. */
export interface EksClusterArgs {
    /**
     * Kubernetes version of the control plane and the nodes, as MAJOR.MINOR (e.g. `"1.35"`).
     * Pinned so that a new EKS default never upgrades the cluster behind the program's back.
     */
    kubernetesVersion: string;
    /** EC2 instance type of the managed node group, e.g. `"m5.large"`. */
    instanceType: string;
    /** Node counts of the managed node group; `min <= desired <= max`. */
    scaling: NodeScaling;
    /**
     * An OpenSSH public key for the nodes' `ec2-user`. Absent: no key pair; nodes are still
     * reachable through the EKS API (`kubectl debug node/...`).
     */
    sshPublicKey?: string;
    /**
     * An existing VPC and its subnets. Absent: the component creates a VPC over two availability
     * zones (public subnets for load balancers, private subnets and one NAT gateway for nodes),
     * so that `pulumi destroy` removes the network too.
     */
    existingVpc?: ExistingVpc;
    /**
     * IAM role or user ARNs given cluster-admin access entries, each once. The identity that
     * creates the cluster is its admin already (`bootstrapClusterCreatorAdminPermissions`):
     * listing it too fails in EKS with a conflict. Whoever runs `pulumi destroy` later (a CI
     * role, say) needs admin access as well, so list it when it is another identity.
     */
    adminPrincipalArns?: string[];
    /**
     * The AWS profile the stack's AWS provider uses (`aws:profile`), if any: the kubeconfig's
     * `aws eks get-token` then uses it too, so Kubernetes calls are made by the identity that
     * created the cluster (its admin) and not by whatever the default credentials are.
     */
    awsProfile?: string;
    /** Tags for every AWS resource the component creates. */
    tags?: Record<string, string>;
}

/** The Kubernetes provider of each EksCluster, for TypeScript callers. */
const providerOf = new WeakMap<EksCluster, k8s.Provider>();

/**
 * An EKS cluster ready for Istio: network, control plane (authentication by access entries),
 * an Amazon Linux 2023 managed node group with IMDSv2 required, a security group rule naming
 * istiod's webhook port, and a Kubernetes provider for it.
 *
 * AWS resources use the AWS provider given in the resource options (`provider`, or `providers`)
 * or inherited from a parent; without any, Pulumi's default provider.
 */
export class EksCluster extends pulumi.ComponentResource {
    /** The EKS cluster's name. */
    public readonly clusterName: pulumi.Output<string>;
    /** A kubeconfig for the cluster (secret: it names the cluster's endpoint and CA). */
    public readonly kubeconfig: pulumi.Output<string>;
    /** The VPC the cluster runs in. */
    public readonly vpcId: pulumi.Output<string>;
    /** The EKS-created security group shared by the control plane and the nodes. */
    public readonly clusterSecurityGroupId: pulumi.Output<string>;
    /** The `@pulumi/eks` cluster. */
    public readonly cluster: eks.Cluster;
    /** The managed node group; workloads can be scheduled once it exists. */
    public readonly nodeGroup: eks.ManagedNodeGroup;

    constructor(name: string, args: EksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const { desired, min, max } = args.scaling;
        if (
            ![desired, min, max].every((n) => Number.isInteger(n) && n >= 0) ||
            max < 1 ||
            min > desired ||
            desired > max
        ) {
            // The stack's settings are checked earlier; this guards the component used on its own.
            throw new Error(
                `EksCluster ${name}: scaling { desired: ${desired}, min: ${min}, max: ${max} }: ` +
                    "expected whole numbers with 0 <= min <= desired <= max and max >= 1",
            );
        }
        const admins = args.adminPrincipalArns ?? [];
        const twice = admins.filter((arn, i) => admins.indexOf(arn) !== i);
        if (twice.length > 0) {
            throw new Error(
                `EksCluster ${name}: adminPrincipalArns lists ${[...new Set(twice)].join(", ")} more than once; ` +
                    "EKS takes one access entry per principal",
            );
        }
        super("istio-eks:index:EksCluster", name, {}, opts);
        const tags = args.tags ?? {};
        const partition = aws.getPartitionOutput({}, { parent: this }).partition;
        // @pulumi/eks's components run in their own provider, which sees only the providers passed
        // to them, not those this component inherits: hand the AWS provider on explicitly.
        const awsProvider = this.getProvider("aws:index:Provider");

        // What EKS would refuse in the network is found by lookups (the zones of the region, or
        // those of the given subnets). Every resource below waits for them, so a failed check
        // stops the deploy before anything is created.
        const zoneNames = args.existingVpc === undefined ? this.standardZones(name) : undefined;
        const checked: pulumi.Output<unknown> =
            zoneNames ?? this.checkExistingNetwork(name, args.existingVpc!);
        const child = (dependsOn: pulumi.Resource[] = []) => ({
            parent: this,
            dependsOn: checked.apply(() => dependsOn),
        });
        const eksOpts = {
            ...child(),
            ...(awsProvider === undefined ? {} : { providers: { aws: awsProvider } }),
        };

        const network = args.existingVpc
            ? {
                  vpcId: pulumi.output(args.existingVpc.vpcId),
                  publicSubnetIds: args.existingVpc.publicSubnetIds,
                  privateSubnetIds: args.existingVpc.privateSubnetIds,
              }
            : this.createVpc(name, tags, zoneNames!, child);

        const cluster = new eks.Cluster(
            `${name}-eks`,
            {
                version: args.kubernetesVersion,
                vpcId: network.vpcId,
                publicSubnetIds: network.publicSubnetIds,
                privateSubnetIds: network.privateSubnetIds,
                authenticationMode: eks.AuthenticationMode.Api,
                // Keyed by principal: removing one leaves the others' entries (and access) alone.
                accessEntries: Object.fromEntries(
                    (args.adminPrincipalArns ?? []).map((arn) => [
                        accessEntryKey(arn),
                        {
                            principalArn: arn,
                            accessPolicies: {
                                admin: {
                                    policyArn: pulumi.interpolate`arn:${partition}:eks::aws:cluster-access-policy/${CLUSTER_ADMIN_POLICY_NAME}`,
                                    accessScope: { type: "cluster" },
                                },
                            },
                        },
                    ]),
                ),
                // Nodes come from the managed node group below; with managed nodes only, EKS's own
                // cluster security group is all the control plane and the nodes need.
                skipDefaultNodeGroup: true,
                skipDefaultSecurityGroups: true,
                createOidcProvider: false,
                ...(args.awsProfile === undefined
                    ? {}
                    : { providerCredentialOpts: { profileName: args.awsProfile } }),
                tags,
            },
            eksOpts,
        );

        // The API server calls istiod's webhooks on port 15017 of the nodes; without it pods start
        // without sidecars and routing silently does nothing. EKS's cluster security group, which
        // the control plane and these nodes share (the launch template names no group), already
        // allows all traffic from itself, so this rule opens nothing new today. It names the port
        // and keeps it open should that rule be narrowed; nodes in other security groups would
        // need a rule of their own.
        const webhookRule = new aws.vpc.SecurityGroupIngressRule(
            `${name}-istio-webhook`,
            {
                securityGroupId: cluster.clusterSecurityGroupId,
                referencedSecurityGroupId: cluster.clusterSecurityGroupId,
                ipProtocol: "tcp",
                fromPort: ISTIO_WEBHOOK_PORT,
                toPort: ISTIO_WEBHOOK_PORT,
                description: "EKS control plane to istiod webhooks on the nodes",
                tags,
            },
            child(),
        );

        const nodeRole = new aws.iam.Role(
            `${name}-node-role`,
            {
                assumeRolePolicy: JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            // The same service name in every partition.
                            Principal: { Service: "ec2.amazonaws.com" },
                            Action: "sts:AssumeRole",
                        },
                    ],
                }),
                tags,
            },
            child(),
        );
        const policies = NODE_POLICY_NAMES.map(
            (policy) =>
                new aws.iam.RolePolicyAttachment(
                    `${name}-node-${policy}`,
                    {
                        role: nodeRole.name,
                        policyArn: pulumi.interpolate`arn:${partition}:iam::aws:policy/${policy}`,
                    },
                    child(),
                ),
        );

        const keyPair =
            args.sshPublicKey === undefined
                ? undefined
                : new aws.ec2.KeyPair(
                      `${name}-ssh`,
                      { publicKey: args.sshPublicKey, tags },
                      child(),
                  );

        // Our own launch template, because EKS refuses remoteAccess next to a launch template and
        // IMDSv2 needs one: it carries both. Without security groups or an AMI in it, EKS keeps
        // attaching its cluster security group and choosing the AL2023 image.
        const launchTemplate = new aws.ec2.LaunchTemplate(
            `${name}-node-template`,
            {
                metadataOptions: {
                    httpEndpoint: "enabled",
                    httpTokens: "required",
                    httpPutResponseHopLimit: METADATA_HOP_LIMIT,
                },
                keyName: keyPair?.keyName,
                updateDefaultVersion: true,
                // EC2 refuses a tag specification without tags.
                tagSpecifications:
                    Object.keys(tags).length > 0 ? [{ resourceType: "instance", tags }] : undefined,
                tags,
            },
            child(),
        );

        const nodeGroup = new eks.ManagedNodeGroup(
            `${name}-nodes`,
            {
                cluster,
                // With a launch template, @pulumi/eks leaves the nodes' version unset (EKS then
                // keeps it on upgrades): tie it to the control plane's, so both move together.
                version: cluster.eksCluster.version,
                nodeRole,
                operatingSystem: eks.OperatingSystem.AL2023,
                instanceTypes: [args.instanceType],
                scalingConfig: {
                    desiredSize: args.scaling.desired,
                    minSize: args.scaling.min,
                    maxSize: args.scaling.max,
                },
                subnetIds:
                    network.privateSubnetIds.length > 0
                        ? network.privateSubnetIds
                        : network.publicSubnetIds,
                launchTemplate: {
                    id: launchTemplate.id,
                    version: pulumi.interpolate`${launchTemplate.latestVersion}`,
                },
                tags,
            },
            // Resource references in the inputs do not order anything by themselves: be explicit,
            // so that nodes are created after, and deleted before, the cluster and their role.
            { ...eksOpts, ...child([cluster, nodeRole, ...policies, webhookRule]) },
        );

        this.cluster = cluster;
        this.nodeGroup = nodeGroup;
        this.clusterName = cluster.eksCluster.name;
        this.kubeconfig = pulumi.secret(cluster.kubeconfigJson);
        this.vpcId = network.vpcId;
        this.clusterSecurityGroupId = cluster.clusterSecurityGroupId;
        const provider = new k8s.Provider(
            `${name}-k8s`,
            { kubeconfig: this.kubeconfig },
            // Helm releases wait for pods; pods need nodes.
            child([nodeGroup]),
        );
        providerOf.set(this, provider);
        this.registerOutputs({
            clusterName: this.clusterName,
            kubeconfig: this.kubeconfig,
            vpcId: this.vpcId,
            clusterSecurityGroupId: this.clusterSecurityGroupId,
        });
    }

    /**
     * A Kubernetes provider for the cluster, that waits for the nodes: pass it to the mesh's
     * components as a resource option, `{ provider }`. (TypeScript only: a package schema cannot
     * name a provider as an output; other languages build one from `kubeconfig`.)
     */
    public get provider(): k8s.Provider {
        const provider = providerOf.get(this);
        if (provider === undefined) {
            throw new Error("EksCluster: provider read before construction ended");
        }
        return provider;
    }

    /** The region's standard zones where EKS runs clusters; fails with fewer than a VPC needs. */
    private standardZones(name: string): pulumi.Output<string[]> {
        const zones = aws.getAvailabilityZonesOutput(ZONE_QUERY, { parent: this });
        return zones.names.apply((names) => {
            if (names.length < PUBLIC_SUBNET_CIDRS.length) {
                throw new Error(
                    `EksCluster ${name}: the region has ${names.length} standard zone(s) where EKS runs clusters ` +
                        `(${names.join(", ") || "none"}); the VPC needs ${PUBLIC_SUBNET_CIDRS.length}. Nothing was created`,
                );
            }
            return names;
        });
    }

    /** Looks up the given subnets; fails, naming subnets and zones, where EKS would refuse them. */
    private checkExistingNetwork(name: string, network: ExistingNetwork): pulumi.Output<void> {
        const ids = [...new Set([...network.publicSubnetIds, ...network.privateSubnetIds])];
        const lookups = ids.map((id) => aws.ec2.getSubnetOutput({ id }, { parent: this }));
        return pulumi.all(lookups).apply((subnets) => {
            const problems = existingNetworkProblems(
                network,
                subnets.map((s) => ({
                    id: s.id,
                    vpcId: s.vpcId,
                    availabilityZone: s.availabilityZone,
                    availabilityZoneId: s.availabilityZoneId,
                    mapPublicIpOnLaunch: s.mapPublicIpOnLaunch,
                })),
            );
            if (problems.length > 0) {
                throw new Error(
                    `EksCluster ${name}: EKS would refuse the subnets of ${network.vpcId}; nothing was created:\n  - ` +
                        problems.join("\n  - "),
                );
            }
        });
    }

    /** A VPC over two zones: public subnets (tagged for internet-facing load balancers) and private ones behind a NAT gateway. */
    private createVpc(
        name: string,
        tags: Record<string, string>,
        zoneNames: pulumi.Output<string[]>,
        child: (dependsOn?: pulumi.Resource[]) => pulumi.CustomResourceOptions,
    ) {
        const zone = (i: number) => zoneNames.apply((names) => names[i]);
        const named = (suffix: string) => ({ ...tags, Name: `${name}-${suffix}` });

        const vpc = new aws.ec2.Vpc(
            `${name}-vpc`,
            {
                cidrBlock: VPC_CIDR,
                enableDnsHostnames: true,
                enableDnsSupport: true,
                tags: named("vpc"),
            },
            child(),
        );
        const igw = new aws.ec2.InternetGateway(
            `${name}-igw`,
            { vpcId: vpc.id, tags: named("igw") },
            child(),
        );
        const publicRoutes = new aws.ec2.RouteTable(
            `${name}-public`,
            {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }],
                tags: named("public"),
            },
            child(),
        );
        /** One subnet per zone, each routed through `routes`. */
        const subnetTier = (
            tier: "public" | "private",
            cidrs: string[],
            routes: aws.ec2.RouteTable,
            extra: Partial<aws.ec2.SubnetArgs> & { tags: Record<string, string> },
        ) =>
            cidrs.map((cidrBlock, i) => {
                const subnet = new aws.ec2.Subnet(
                    `${name}-${tier}-${i}`,
                    {
                        vpcId: vpc.id,
                        cidrBlock,
                        availabilityZone: zone(i),
                        ...extra,
                        tags: { ...named(`${tier}-${i}`), ...extra.tags },
                    },
                    child(),
                );
                new aws.ec2.RouteTableAssociation(
                    `${name}-${tier}-${i}-routes`,
                    { subnetId: subnet.id, routeTableId: routes.id },
                    child(),
                );
                return subnet;
            });
        const publicSubnets = subnetTier("public", PUBLIC_SUBNET_CIDRS, publicRoutes, {
            mapPublicIpOnLaunch: true,
            // Where Kubernetes puts internet-facing load balancers (the ingress gateway).
            tags: { "kubernetes.io/role/elb": "1" },
        });
        const natIp = new aws.ec2.Eip(
            `${name}-nat-ip`,
            { domain: "vpc", tags: named("nat-ip") },
            child([igw]),
        );
        // One NAT gateway, not one per zone: this is a sandbox for Istio, and each costs by the hour.
        const nat = new aws.ec2.NatGateway(
            `${name}-nat`,
            { subnetId: publicSubnets[0].id, allocationId: natIp.id, tags: named("nat") },
            child([igw]),
        );
        const privateRoutes = new aws.ec2.RouteTable(
            `${name}-private`,
            {
                vpcId: vpc.id,
                routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }],
                tags: named("private"),
            },
            child(),
        );
        const privateSubnets = subnetTier("private", PRIVATE_SUBNET_CIDRS, privateRoutes, {
            tags: { "kubernetes.io/role/internal-elb": "1" },
        });
        return {
            vpcId: vpc.id,
            publicSubnetIds: publicSubnets.map((s) => s.id),
            privateSubnetIds: privateSubnets.map((s) => s.id),
        };
    }
}
