/**
 * How the ingress gateway's Service is exposed, and on AWS by which load balancer: the values the
 * stack settings take (lib/configKeys.ts) and the components' arguments (IstioMesh, BookinfoApp)
 * accept, from one definition.
 */

/**
 * How the gateway Service is exposed: a cloud load balancer, or a port on every node. (An object
 * and a type of one name: a package schema takes it as an enum, TypeScript as a string literal.)
 */
export const GatewayServiceType = {
    /** A cloud load balancer in front of the gateway. */
    LoadBalancer: "LoadBalancer",
    /** A port on every node, for clusters without load balancers (kind, minikube). */
    NodePort: "NodePort",
} as const;
export type GatewayServiceType = (typeof GatewayServiceType)[keyof typeof GatewayServiceType];

/** The AWS load balancer in front of a LoadBalancer gateway Service. */
export const LoadBalancerType = {
    /** A Network Load Balancer. */
    nlb: "nlb",
    /** A Classic Load Balancer. */
    clb: "clb",
} as const;
export type LoadBalancerType = (typeof LoadBalancerType)[keyof typeof LoadBalancerType];

/** The values of {@link GatewayServiceType}, as the setting `gatewayServiceType` takes them. */
export const GATEWAY_SERVICE_TYPES = Object.values(GatewayServiceType);

/** The values of {@link LoadBalancerType}, as the setting `loadBalancerType` takes them. */
export const LOAD_BALANCER_TYPES = Object.values(LoadBalancerType);
