/**
 * What the EKS API would refuse in an existing VPC, told from lookups of its subnets: pure
 * functions, so that `EksCluster` can stop before creating anything, with a message naming the
 * subnets and their zones.
 */

/**
 * Zones where EKS creates no cluster (its networking requirements name them by zone ID, which,
 * unlike zone names, is the same physical zone in every account).
 */
export const EKS_UNSUPPORTED_ZONE_IDS = ["use1-az3", "usw1-az2", "cac1-az3"];

/** An existing VPC and the subnets given for it. */
export interface ExistingNetwork {
    vpcId: string;
    publicSubnetIds: string[];
    privateSubnetIds: string[];
}

/** What a lookup of a subnet tells (`aws.ec2.getSubnet`). */
export interface SubnetFacts {
    id: string;
    vpcId: string;
    availabilityZone: string;
    availabilityZoneId: string;
    mapPublicIpOnLaunch: boolean;
}

/** Where the nodes go: the private subnets, or the public ones when there are none. */
export function nodeSubnetKey(network: ExistingNetwork): "privateSubnetIds" | "publicSubnetIds" {
    return network.privateSubnetIds.length > 0 ? "privateSubnetIds" : "publicSubnetIds";
}

/**
 * Every reason EKS would refuse the cluster or its nodes in these subnets, one line each (none:
 * fine). `facts` must hold a lookup of every subnet ID of `network`.
 */
export function existingNetworkProblems(network: ExistingNetwork, facts: SubnetFacts[]): string[] {
    const byId = new Map(facts.map((f) => [f.id, f]));
    const fact = (id: string): SubnetFacts => {
        const f = byId.get(id);
        if (f === undefined) {
            throw new Error(`existingNetworkProblems: no lookup of ${id}`);
        }
        return f;
    };
    const described = (ids: string[]) =>
        ids.map((id) => `${id} (${fact(id).availabilityZone})`).join(", ");
    const zones = (ids: string[]) => new Set(ids.map((id) => fact(id).availabilityZone));
    const problems: string[] = [];

    const all = [...new Set([...network.publicSubnetIds, ...network.privateSubnetIds])];
    for (const id of all) {
        const f = fact(id);
        if (f.vpcId !== network.vpcId) {
            problems.push(`${id} is in ${f.vpcId}, not in vpcId ${network.vpcId}`);
        } else if (EKS_UNSUPPORTED_ZONE_IDS.includes(f.availabilityZoneId)) {
            problems.push(
                `${id} is in ${f.availabilityZone} (zone ID ${f.availabilityZoneId}), where EKS creates no cluster`,
            );
        }
    }
    if (zones(all).size < 2) {
        problems.push(
            `the subnets ${described(all)} are all in one availability zone: EKS needs subnets in at least two`,
        );
    }
    const nodeKey = nodeSubnetKey(network);
    const nodeIds = network[nodeKey];
    if (zones(all).size >= 2 && zones(nodeIds).size < 2) {
        problems.push(
            `${nodeKey} ${described(nodeIds)}, where the nodes go, are all in one availability zone: ` +
                "give subnets in at least two, so that the nodes survive the loss of one",
        );
    }
    if (nodeKey === "publicSubnetIds") {
        const noIp = nodeIds.filter((id) => !fact(id).mapPublicIpOnLaunch);
        if (noIp.length > 0) {
            problems.push(
                `publicSubnetIds ${described(noIp)} do not give instances a public IPv4 address ` +
                    "(mapPublicIpOnLaunch), and with no privateSubnetIds the nodes go there: EKS " +
                    "refuses the node group, whose nodes could not reach the cluster. Turn the " +
                    "setting on for these subnets, or give private subnets with a NAT gateway",
            );
        }
    }
    return problems;
}
