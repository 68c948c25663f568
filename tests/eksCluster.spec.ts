import * as assert from "assert/strict";

import * as pulumi from "@pulumi/pulumi";

import { accessEntryKey, EksCluster, EksClusterArgs } from "../components/eksCluster";
import { Invokes, MOCK, runPulumi, valueOf } from "./harness";

const BASE: EksClusterArgs = {
    kubernetesVersion: "1.35",
    instanceType: "m5.large",
    scaling: { desired: 2, min: 2, max: 3 },
    tags: { team: "mesh" },
};

function build(args: Partial<EksClusterArgs> = {}, invokes: Invokes = {}) {
    return runPulumi(() => new EksCluster("c", { ...BASE, ...args }), {}, invokes);
}

const ZONES = "aws:index/getAvailabilityZones:getAvailabilityZones";
const PARTITION = "aws:index/getPartition:getPartition";
const SUBNET = "aws:ec2/getSubnet:getSubnet";
/** AWS GovCloud (US), whose ARNs start `arn:aws-us-gov:`. */
const GOV_CLOUD: Invokes = {
    [PARTITION]: () => ({ partition: "aws-us-gov", dnsSuffix: "amazonaws.com", id: "aws-us-gov" }),
};

describe("EksCluster", () => {
    it("creates a VPC over two zones: public subnets for load balancers, private ones behind one NAT", async () => {
        const run = await build();
        assert.deepEqual(run.named("c-vpc").inputs, {
            cidrBlock: "10.0.0.0/16",
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: { team: "mesh", Name: "c-vpc" },
        });
        assert.deepEqual(
            [0, 1].map((i) => run.named(`c-public-${i}`)).map((s) => s.inputs),
            [0, 1].map((i) => ({
                vpcId: "c-vpc-id",
                cidrBlock: ["10.0.0.0/22", "10.0.4.0/22"][i],
                availabilityZone: MOCK.zones[i],
                mapPublicIpOnLaunch: true,
                tags: { team: "mesh", Name: `c-public-${i}`, "kubernetes.io/role/elb": "1" },
            })),
        );
        assert.deepEqual(
            [0, 1].map((i) => run.named(`c-private-${i}`).inputs),
            [0, 1].map((i) => ({
                vpcId: "c-vpc-id",
                cidrBlock: ["10.0.128.0/19", "10.0.160.0/19"][i],
                availabilityZone: MOCK.zones[i],
                tags: {
                    team: "mesh",
                    Name: `c-private-${i}`,
                    "kubernetes.io/role/internal-elb": "1",
                },
            })),
        );
        const routeTables = run.ofType("aws:ec2/routeTable:RouteTable");
        assert.deepEqual(routeTables.map((r) => [r.name, r.inputs.routes]).sort(), [
            ["c-private", [{ cidrBlock: "0.0.0.0/0", natGatewayId: "c-nat-id" }]],
            ["c-public", [{ cidrBlock: "0.0.0.0/0", gatewayId: "c-igw-id" }]],
        ]);
        const associations = run
            .ofType("aws:ec2/routeTableAssociation:RouteTableAssociation")
            .map((a) => [a.inputs.subnetId, a.inputs.routeTableId])
            .sort();
        assert.deepEqual(associations, [
            ["c-private-0-id", "c-private-id"],
            ["c-private-1-id", "c-private-id"],
            ["c-public-0-id", "c-public-id"],
            ["c-public-1-id", "c-public-id"],
        ]);
        const nat = run.ofType("aws:ec2/natGateway:NatGateway");
        assert.equal(nat.length, 1);
        assert.equal(nat[0].inputs.subnetId, "c-public-0-id");
        assert.equal(nat[0].inputs.allocationId, "c-nat-ip-id");
        assert.ok(run.dependencyNames(nat[0]).includes("c-igw"));
    });

    it("puts the VPC in standard zones where EKS runs clusters: no Local Zones, no unsupported zone IDs", async () => {
        const run = await build();
        assert.deepEqual(run.invoked(ZONES), [
            {
                state: "available",
                filters: [{ name: "opt-in-status", values: ["opt-in-not-required"] }],
                excludeZoneIds: ["use1-az3", "usw1-az2", "cac1-az3"],
            },
        ]);
    });

    it("creates the EKS cluster with a pinned version, API authentication and no default nodes", async () => {
        const run = await build();
        const cluster = run.named("c-eks");
        assert.equal(cluster.type, "eks:index:Cluster");
        assert.deepEqual(cluster.inputs, {
            version: "1.35",
            vpcId: "c-vpc-id",
            publicSubnetIds: ["c-public-0-id", "c-public-1-id"],
            privateSubnetIds: ["c-private-0-id", "c-private-1-id"],
            authenticationMode: "API",
            accessEntries: {},
            skipDefaultNodeGroup: true,
            skipDefaultSecurityGroups: true,
            createOidcProvider: false,
            tags: { team: "mesh" },
        });
    });

    it("gives each admin principal a cluster-admin access entry", async () => {
        const arn = "arn:aws:iam::123456789012:role/Admin";
        const run = await build({ adminPrincipalArns: [arn] });
        assert.deepEqual(run.named("c-eks").inputs.accessEntries, {
            "admin-123456789012-role/Admin": {
                principalArn: arn,
                accessPolicies: {
                    admin: {
                        policyArn:
                            "arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy",
                        accessScope: { type: "cluster" },
                    },
                },
            },
        });
    });

    it("keys each access entry by its principal, so removing one leaves the others alone", async () => {
        const [ops, ci, bob] = [
            "arn:aws:iam::123456789012:role/ops/Admin",
            "arn:aws:iam::210987654321:role/ci-deployer",
            "arn:aws:iam::123456789012:user/bob",
        ];
        const keys = async (adminPrincipalArns: string[]) =>
            Object.entries(
                (await build({ adminPrincipalArns })).named("c-eks").inputs.accessEntries,
            )
                // eslint-disable-next-line @typescript-eslint/no-explicit-any
                .map(([key, entry]: [string, any]) => [key, entry.principalArn])
                .sort();
        assert.deepEqual(await keys([ops, ci, bob]), [
            ["admin-123456789012-role/ops/Admin", ops],
            ["admin-123456789012-user/bob", bob],
            ["admin-210987654321-role/ci-deployer", ci],
        ]);
        assert.deepEqual(await keys([ops, bob]), [
            ["admin-123456789012-role/ops/Admin", ops],
            ["admin-123456789012-user/bob", bob],
        ]);
        assert.equal(
            accessEntryKey("arn:aws-cn:iam::123456789012:role/Admin"),
            "admin-123456789012-role/Admin",
        );
    });

    it("refuses a principal listed twice before registering anything", async () => {
        const arn = "arn:aws:iam::123456789012:role/Admin";
        await assert.rejects(build({ adminPrincipalArns: [arn, arn] }), {
            message:
                "EksCluster c: adminPrincipalArns lists arn:aws:iam::123456789012:role/Admin more than once; EKS takes one access entry per principal",
        });
    });

    it("builds the admin access policy's ARN from the partition", async () => {
        const arn = "arn:aws-us-gov:iam::123456789012:role/Admin";
        const run = await build({ adminPrincipalArns: [arn] }, GOV_CLOUD);
        const entries = Object.values(run.named("c-eks").inputs.accessEntries);
        assert.deepEqual(
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            entries.map((e: any) => e.accessPolicies.admin.policyArn),
            ["arn:aws-us-gov:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy"],
        );
        assert.deepEqual(run.invoked(PARTITION), [{}]);
    });

    it("hands the stack's AWS profile to the kubeconfig, so Kubernetes calls use the cluster creator's identity", async () => {
        const run = await build({ awsProfile: "lab-admin" });
        assert.deepEqual(run.named("c-eks").inputs.providerCredentialOpts, {
            profileName: "lab-admin",
        });
        assert.equal((await build()).named("c-eks").inputs.providerCredentialOpts, undefined);
    });

    it("names istiod's webhook port 15017 in the cluster security group, beside its all-traffic self rule", async () => {
        const run = await build();
        const rule = run.named("c-istio-webhook");
        assert.equal(rule.type, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule");
        assert.deepEqual(rule.inputs, {
            securityGroupId: MOCK.clusterSecurityGroupId,
            referencedSecurityGroupId: MOCK.clusterSecurityGroupId,
            ipProtocol: "tcp",
            fromPort: 15017,
            toPort: 15017,
            description: "EKS control plane to istiod webhooks on the nodes",
            tags: { team: "mesh" },
        });
    });

    it("runs an AL2023 managed node group at the cluster's version in the private subnets, IMDSv2 only for the node itself", async () => {
        const run = await build();
        const template = run.named("c-node-template");
        assert.deepEqual(template.inputs, {
            metadataOptions: {
                httpEndpoint: "enabled",
                httpTokens: "required",
                httpPutResponseHopLimit: 1,
            },
            updateDefaultVersion: true,
            tagSpecifications: [{ resourceType: "instance", tags: { team: "mesh" } }],
            tags: { team: "mesh" },
        });
        assert.equal(run.ofType("aws:ec2/keyPair:KeyPair").length, 0);

        const nodes = run.named("c-nodes");
        assert.equal(nodes.type, "eks:index:ManagedNodeGroup");
        assert.deepEqual(nodes.inputs, {
            cluster: { resource: "eks:index:Cluster::c-eks" },
            version: "1.35",
            nodeRole: { resource: "aws:iam/role:Role::c-node-role" },
            operatingSystem: "AL2023",
            instanceTypes: ["m5.large"],
            scalingConfig: { desiredSize: 2, minSize: 2, maxSize: 3 },
            subnetIds: ["c-private-0-id", "c-private-1-id"],
            launchTemplate: { id: "c-node-template-id", version: "1" },
            tags: { team: "mesh" },
        });
        assert.deepEqual(run.dependencyNames(nodes), [
            "c-eks",
            "c-istio-webhook",
            "c-node-AmazonEC2ContainerRegistryReadOnly",
            "c-node-AmazonEKSWorkerNodePolicy",
            "c-node-AmazonEKS_CNI_Policy",
            "c-node-role",
            "c-node-template",
            "c-private-0",
            "c-private-1",
        ]);
    });

    it("tags nothing, and leaves instance tags out of the launch template, when given no tags", async () => {
        const run = await runPulumi(() => new EksCluster("c", { ...BASE, tags: undefined }));
        assert.equal(run.named("c-node-template").inputs.tagSpecifications, undefined);
        assert.deepEqual(run.named("c-eks").inputs.tags, {});
    });

    it("refuses node counts out of order before creating anything", async () => {
        for (const scaling of [
            { desired: 1, min: 2, max: 3 },
            { desired: 4, min: 2, max: 3 },
            { desired: 0, min: 0, max: 0 },
            { desired: 2.5, min: 2, max: 3 },
        ]) {
            const message = `EksCluster c: scaling { desired: ${scaling.desired}, min: ${scaling.min}, max: ${scaling.max} }: expected whole numbers with 0 <= min <= desired <= max and max >= 1`;
            await assert.rejects(build({ scaling }), { message });
        }
    });

    it("gives the node role the three worker-node policies", async () => {
        const run = await build();
        const role = run.named("c-node-role");
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement, [
            {
                Effect: "Allow",
                Principal: { Service: "ec2.amazonaws.com" },
                Action: "sts:AssumeRole",
            },
        ]);
        assert.deepEqual(
            run
                .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                .map((a) => [a.name, a.inputs.role, a.inputs.policyArn])
                .sort(),
            [
                [
                    "c-node-AmazonEC2ContainerRegistryReadOnly",
                    "c-node-role-role",
                    "arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                ],
                [
                    "c-node-AmazonEKSWorkerNodePolicy",
                    "c-node-role-role",
                    "arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                ],
                [
                    "c-node-AmazonEKS_CNI_Policy",
                    "c-node-role-role",
                    "arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy",
                ],
            ],
        );
    });

    it("builds the node policies' ARNs from the partition", async () => {
        const run = await build({}, GOV_CLOUD);
        assert.deepEqual(
            run
                .ofType("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                .map((a) => a.inputs.policyArn)
                .sort(),
            [
                "arn:aws-us-gov:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly",
                "arn:aws-us-gov:iam::aws:policy/AmazonEKSWorkerNodePolicy",
                "arn:aws-us-gov:iam::aws:policy/AmazonEKS_CNI_Policy",
            ],
        );
    });

    it("installs an SSH public key through the launch template when one is given", async () => {
        const key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB1nq0i0Ezw5xYxT4Xw0d0Gm8vQm0Qz6oGQwHq0v2mTs me";
        const run = await build({ sshPublicKey: key });
        assert.deepEqual(run.named("c-ssh").inputs, { publicKey: key, tags: { team: "mesh" } });
        assert.equal(run.named("c-node-template").inputs.keyName, "c-ssh-key");
        assert.equal(run.named("c-nodes").inputs.remoteAccess, undefined);
    });

    it("uses an existing VPC's subnets without creating any network", async () => {
        const existingVpc = {
            vpcId: "vpc-0123456789abcdef0",
            publicSubnetIds: ["subnet-0000000a", "subnet-0000000b"],
            privateSubnetIds: ["subnet-0000000c", "subnet-0000000d"],
        };
        const run = await build({ existingVpc });
        for (const type of [
            "aws:ec2/vpc:Vpc",
            "aws:ec2/subnet:Subnet",
            "aws:ec2/internetGateway:InternetGateway",
            "aws:ec2/natGateway:NatGateway",
            "aws:ec2/eip:Eip",
            "aws:ec2/routeTable:RouteTable",
        ]) {
            assert.deepEqual(run.ofType(type), [], `${type} must not be created`);
        }
        const cluster = run.named("c-eks").inputs;
        assert.equal(cluster.vpcId, existingVpc.vpcId);
        assert.deepEqual(cluster.publicSubnetIds, existingVpc.publicSubnetIds);
        assert.deepEqual(cluster.privateSubnetIds, existingVpc.privateSubnetIds);
        assert.deepEqual(run.named("c-nodes").inputs.subnetIds, existingVpc.privateSubnetIds);
    });

    it("puts nodes in the public subnets of an existing VPC that has no private ones", async () => {
        const existingVpc = {
            vpcId: "vpc-0123456789abcdef0",
            publicSubnetIds: ["subnet-0000000a", "subnet-0000000b"],
            privateSubnetIds: [],
        };
        const run = await build({ existingVpc });
        assert.deepEqual(run.named("c-nodes").inputs.subnetIds, existingVpc.publicSubnetIds);
    });

    it("looks up each subnet of an existing VPC once, and goes ahead when EKS would take them", async () => {
        const existingVpc = {
            vpcId: MOCK.vpcId,
            publicSubnetIds: ["subnet-0000000a", "subnet-0000000b"],
            privateSubnetIds: ["subnet-0000000c", "subnet-0000000d", "subnet-0000000a"],
        };
        const run = await build({ existingVpc });
        assert.deepEqual(run.invoked(SUBNET), [
            { id: "subnet-0000000a" },
            { id: "subnet-0000000b" },
            { id: "subnet-0000000c" },
            { id: "subnet-0000000d" },
        ]);
        assert.deepEqual(run.errors, []);
        assert.ok(run.has("c-eks") && run.has("c-nodes") && run.has("c-k8s"));
    });

    it("stops before creating anything when EKS would refuse an existing VPC's subnets", async () => {
        const existingVpc = {
            vpcId: MOCK.vpcId,
            publicSubnetIds: ["subnet-0000000a", "subnet-0000000b"],
            privateSubnetIds: [],
        };
        // Both in one zone, and no public IPs for the nodes placed there.
        const run = await build(
            { existingVpc },
            {
                [SUBNET]: ({ id }) => ({
                    id,
                    vpcId: MOCK.vpcId,
                    availabilityZone: "us-west-2a",
                    availabilityZoneId: "usw2-az1",
                    mapPublicIpOnLaunch: false,
                }),
            },
        );
        assert.deepEqual(run.errors, [
            "EksCluster c: EKS would refuse the subnets of vpc-0123456789abcdef0; nothing was created:\n" +
                "  - the subnets subnet-0000000a (us-west-2a), subnet-0000000b (us-west-2a) are all in one availability zone: EKS needs subnets in at least two\n" +
                "  - publicSubnetIds subnet-0000000a (us-west-2a), subnet-0000000b (us-west-2a) do not give instances a public IPv4 address (mapPublicIpOnLaunch), and with no privateSubnetIds the nodes go there: EKS refuses the node group, whose nodes could not reach the cluster. Turn the setting on for these subnets, or give private subnets with a NAT gateway",
        ]);
        assert.deepEqual(
            run.resources.map((r) => r.name),
            ["c"],
        );
    });

    it("stops before creating anything in a region with fewer than two standard zones for EKS", async () => {
        const run = await build(
            {},
            { [ZONES]: () => ({ names: ["us-east-1a"], zoneIds: ["use1-az6"] }) },
        );
        assert.deepEqual(run.errors, [
            "EksCluster c: the region has 1 standard zone(s) where EKS runs clusters (us-east-1a); the VPC needs 2. Nothing was created",
        ]);
        assert.deepEqual(
            run.resources.map((r) => r.name),
            ["c"],
        );
    });

    it("exposes the cluster name, a secret kubeconfig and a provider that waits for the nodes", async () => {
        const run = await build();
        const component = run.result;
        assert.equal(await valueOf(component.clusterName), MOCK.clusterName);
        assert.equal(await valueOf(component.kubeconfig), MOCK.kubeconfigJson);
        assert.equal(await pulumi.isSecret(component.kubeconfig), true);
        assert.equal(await valueOf(component.vpcId), "c-vpc-id");

        const provider = run.named("c-k8s");
        assert.equal(provider.type, "pulumi:providers:kubernetes");
        assert.deepEqual(run.dependencyNames(provider), ["c-eks", "c-nodes"]);
        assert.equal(await valueOf(component.provider.urn), provider.urn);

        for (const r of run.resources.filter((r) => r.name !== "c")) {
            assert.match(r.parent, /istio-eks:index:EksCluster::c$/, `${r.name} is a child`);
            assert.match(r.name, /^c-/, `${r.name} is named from the component`);
        }
    });
});
