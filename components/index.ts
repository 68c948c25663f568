/**
 * The public API of the `istio-eks` package: the components, their argument and output types
 * (with the enums of their arguments: each both an object of named values and the type of its
 * values), and the pure helpers a program may want (routing modes and their expectations, the
 * parsing of this project's stack settings). Nothing else is exported; the package's `main` is
 * this file's build.
 */
export { EksCluster } from "./eksCluster";
export type { EksClusterArgs, ExistingVpc, NodeScaling } from "./eksCluster";
export { GatewayServiceType, IstioMesh, LoadBalancerType } from "./istioMesh";
export type { IstioMeshArgs } from "./istioMesh";
export { BookinfoApp } from "./bookinfoApp";
export type {
    BookinfoAppArgs,
    DataplaneInjection,
    MeshEndpoints,
    RevisionTagObjects,
} from "./bookinfoApp";
export { ReviewsRouting } from "./reviewsRouting";
export type { ReviewsRoutingArgs } from "./reviewsRouting";
export { GatewayApiCrds } from "./gatewayApiCrds";
export type { GatewayApiCrdsArgs } from "./gatewayApiCrds";
export { GatewayApiRouting } from "./gatewayApiRouting";
export type { GatewayApiRoutingArgs } from "./gatewayApiRouting";
export type { GatewayApiIngress } from "./bookinfoApp";
export { gatewayApiPlan } from "../lib/gatewayApi";
export type { GatewayApiPlan, HttpRouteSpec } from "../lib/gatewayApi";
export { unsupportedTrafficModel } from "../lib/trafficModel";
export type { Dataplane, GatewayApiCrdSource, TrafficApi, TrafficModel } from "../lib/trafficModel";
export { MeshObservability } from "./meshObservability";
export type { AddonDashboards, AddonReleases, MeshObservabilityArgs } from "./meshObservability";
export { tracingMeshConfig } from "../lib/observability";
export type { Addon, Dashboard } from "../lib/observability";
export {
    DEFAULT_ROUTING_MODE,
    defaultTrafficOptions,
    expectedShares,
    isRoutingMode,
    MtlsMode,
    RatingsFaultKind,
    ROUTING_MODE_NAMES,
    ROUTING_MODES,
    RoutingMode,
    routingPlan,
} from "../lib/routing";
export type {
    ExpectedShares,
    RatingsFault,
    RatingsFaultSpec,
    RoutingPlan,
    ServiceVersions,
    TrafficOptions,
} from "../lib/routing";
export { ISTIO_SUPPORT, meshPlan, revisionOf, RevisionTag, versionProblems } from "../lib/upgrade";
export type {
    ControlPlane,
    IstioMinorSupport,
    IstioVersions,
    MeshPlan,
    TagBinding,
} from "../lib/upgrade";
export { ConfigError, parseConfig } from "../lib/config";
export type { RawConfig, StackConfig } from "../lib/config";
