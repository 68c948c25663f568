import * as assert from "assert/strict";

import { existingNetworkProblems, ExistingNetwork, SubnetFacts } from "../lib/subnets";

const VPC = "vpc-0123456789abcdef0";

/** A subnet of VPC in a zone of us-east-1, giving public IPs unless told otherwise. */
function subnet(id: string, zone: string, more: Partial<SubnetFacts> = {}): SubnetFacts {
    const zoneIds: Record<string, string> = {
        "us-east-1a": "use1-az1",
        "us-east-1b": "use1-az2",
        "us-east-1e": "use1-az3",
    };
    return {
        id,
        vpcId: VPC,
        availabilityZone: zone,
        availabilityZoneId: zoneIds[zone],
        mapPublicIpOnLaunch: true,
        ...more,
    };
}

const network = (publicSubnetIds: string[], privateSubnetIds: string[]): ExistingNetwork => ({
    vpcId: VPC,
    publicSubnetIds,
    privateSubnetIds,
});

describe("existingNetworkProblems", () => {
    it("accepts public and private subnets over two zones", () => {
        const facts = [
            subnet("subnet-pub-a", "us-east-1a"),
            subnet("subnet-pub-b", "us-east-1b"),
            subnet("subnet-prv-a", "us-east-1a", { mapPublicIpOnLaunch: false }),
            subnet("subnet-prv-b", "us-east-1b", { mapPublicIpOnLaunch: false }),
        ];
        const given = network(["subnet-pub-a", "subnet-pub-b"], ["subnet-prv-a", "subnet-prv-b"]);
        assert.deepEqual(existingNetworkProblems(given, facts), []);
    });

    it("refuses subnets all in one zone, naming each with its zone", () => {
        const facts = [subnet("subnet-a", "us-east-1a"), subnet("subnet-b", "us-east-1a")];
        assert.deepEqual(existingNetworkProblems(network(["subnet-a"], ["subnet-b"]), facts), [
            "the subnets subnet-a (us-east-1a), subnet-b (us-east-1a) are all in one availability zone: EKS needs subnets in at least two",
        ]);
    });

    it("refuses nodes' subnets all in one zone, even when the load balancers' span two", () => {
        const facts = [
            subnet("subnet-pub-a", "us-east-1a"),
            subnet("subnet-pub-b", "us-east-1b"),
            subnet("subnet-prv-1", "us-east-1a"),
            subnet("subnet-prv-2", "us-east-1a"),
        ];
        const given = network(["subnet-pub-a", "subnet-pub-b"], ["subnet-prv-1", "subnet-prv-2"]);
        assert.deepEqual(existingNetworkProblems(given, facts), [
            "privateSubnetIds subnet-prv-1 (us-east-1a), subnet-prv-2 (us-east-1a), where the nodes go, are all in one availability zone: give subnets in at least two, so that the nodes survive the loss of one",
        ]);
    });

    it("refuses a subnet of another VPC", () => {
        const facts = [
            subnet("subnet-a", "us-east-1a"),
            subnet("subnet-b", "us-east-1b", { vpcId: "vpc-0fedcba9876543210" }),
        ];
        assert.deepEqual(existingNetworkProblems(network([], ["subnet-a", "subnet-b"]), facts), [
            "subnet-b is in vpc-0fedcba9876543210, not in vpcId vpc-0123456789abcdef0",
        ]);
    });

    it("refuses a subnet in a zone where EKS creates no cluster", () => {
        const facts = [subnet("subnet-a", "us-east-1a"), subnet("subnet-e", "us-east-1e")];
        assert.deepEqual(existingNetworkProblems(network([], ["subnet-a", "subnet-e"]), facts), [
            "subnet-e is in us-east-1e (zone ID use1-az3), where EKS creates no cluster",
        ]);
    });

    it("refuses nodes in public subnets that give no public IP, naming only those", () => {
        const facts = [
            subnet("subnet-a", "us-east-1a"),
            subnet("subnet-b", "us-east-1b", { mapPublicIpOnLaunch: false }),
        ];
        assert.deepEqual(existingNetworkProblems(network(["subnet-a", "subnet-b"], []), facts), [
            "publicSubnetIds subnet-b (us-east-1b) do not give instances a public IPv4 address (mapPublicIpOnLaunch), and with no privateSubnetIds the nodes go there: EKS refuses the node group, whose nodes could not reach the cluster. Turn the setting on for these subnets, or give private subnets with a NAT gateway",
        ]);
    });

    it("does not ask public IPs of public subnets when the nodes go to private ones", () => {
        const facts = [
            subnet("subnet-pub-a", "us-east-1a", { mapPublicIpOnLaunch: false }),
            subnet("subnet-prv-a", "us-east-1a"),
            subnet("subnet-prv-b", "us-east-1b"),
        ];
        const given = network(["subnet-pub-a"], ["subnet-prv-a", "subnet-prv-b"]);
        assert.deepEqual(existingNetworkProblems(given, facts), []);
    });

    it("reports every problem at once", () => {
        const facts = [
            subnet("subnet-e", "us-east-1e", { mapPublicIpOnLaunch: false }),
            subnet("subnet-x", "us-east-1e", { vpcId: "vpc-0fedcba9876543210" }),
        ];
        assert.deepEqual(existingNetworkProblems(network(["subnet-e", "subnet-x"], []), facts), [
            "subnet-e is in us-east-1e (zone ID use1-az3), where EKS creates no cluster",
            "subnet-x is in vpc-0fedcba9876543210, not in vpcId vpc-0123456789abcdef0",
            "the subnets subnet-e (us-east-1e), subnet-x (us-east-1e) are all in one availability zone: EKS needs subnets in at least two",
            "publicSubnetIds subnet-e (us-east-1e) do not give instances a public IPv4 address (mapPublicIpOnLaunch), and with no privateSubnetIds the nodes go there: EKS refuses the node group, whose nodes could not reach the cluster. Turn the setting on for these subnets, or give private subnets with a NAT gateway",
        ]);
    });

    it("needs a lookup of every subnet", () => {
        assert.throws(() => existingNetworkProblems(network(["subnet-a"], []), []), {
            message: "existingNetworkProblems: no lookup of subnet-a",
        });
    });
});
