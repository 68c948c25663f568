/**
 * Istio on Amazon EKS (or on a cluster you already have): an EKS cluster, Istio from its
 * official charts, the Bookinfo sample behind the ingress gateway, and its reviews routing
 * chosen by the stack setting `routing`, in Istio's APIs or the Kubernetes Gateway API, with
 * sidecars or ambient mode, and the observability add-ons. This file only reads the settings
 * and composes the components.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import type { EksCluster as EksClusterType } from "./components/eksCluster";
// Not from "./components": that would load the AWS packages even for an existing cluster.
import { BookinfoApp } from "./components/bookinfoApp";
import { GatewayApiRouting } from "./components/gatewayApiRouting";
import { IstioMesh } from "./components/istioMesh";
import { MeshObservability } from "./components/meshObservability";
import { ReviewsRouting } from "./components/reviewsRouting";
import { readConfig, StackConfig } from "./lib/config";
import { kubectlTargetArgs, targetedCommand, targetedDashboards } from "./lib/kubectlTarget";
import { tracingMeshConfig } from "./lib/observability";

// Validated before any resource exists: a bad setting stops here and nothing changes.
const config = readConfig();
const stack = pulumi.getStack();

/** A new EKS cluster; AWS code is loaded only here, so `existing` needs no AWS at all. */
function eksCluster(settings: StackConfig): EksClusterType {
    const { EksCluster }: typeof import("./components/eksCluster") =
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        require("./components/eksCluster");
    return new EksCluster(stack, {
        kubernetesVersion: settings.kubernetesVersion,
        instanceType: settings.nodeInstanceType,
        scaling: {
            desired: settings.nodeDesiredCount,
            min: settings.nodeMinCount,
            max: settings.nodeMaxCount,
        },
        sshPublicKey: settings.sshPublicKey,
        existingVpc: settings.existingVpc,
        adminPrincipalArns: settings.adminPrincipalArns,
        awsProfile: settings.awsProfile,
        tags: { "istio-eks:stack": stack, "istio-eks:project": pulumi.getProject() },
    });
}

const cluster = config.cluster === "eks" ? eksCluster(config) : undefined;
const provider =
    cluster?.provider ??
    // The cluster that kubernetes:context / kubernetes:kubeconfig name (the settings insist).
    new k8s.Provider("existing-cluster", config.existingCluster ?? {});

const { trafficApi, dataplane } = config.trafficModel;
const loadBalancerType = config.cluster === "eks" ? config.loadBalancerType : undefined;
const gatewayApi = trafficApi === "gateway-api";

const mesh = new IstioMesh(
    "istio",
    {
        version: config.istioVersion,
        revision: config.istioRevision,
        canaryVersion: config.istioCanaryVersion,
        dataplaneRevision: config.dataplaneRevision,
        serviceType: config.gatewayServiceType,
        loadBalancerType,
        meshConfig: config.observability ? tracingMeshConfig() : undefined,
        dataplaneMode: dataplane,
        // With the Gateway API, the app's own Gateway is the ingress.
        ingressGateway: !gatewayApi,
        gatewayApiCrds: gatewayApi ? config.gatewayApiCrds : undefined,
    },
    { provider },
);

const app = new BookinfoApp(
    "bookinfo",
    {
        mesh,
        namespace: config.appNamespace,
        trafficApi,
        gatewayApiIngress: { serviceType: config.gatewayServiceType, loadBalancerType },
    },
    { provider },
);

const routing = gatewayApi
    ? new GatewayApiRouting(
          "routing",
          {
              namespace: app.namespace,
              ...config.traffic,
              istioReady: mesh.ready,
              waypointName: app.waypointName,
          },
          { provider },
      )
    : new ReviewsRouting(
          "routing",
          { namespace: app.namespace, ...config.traffic, istioReady: mesh.ready },
          { provider },
      );

const observability = config.observability
    ? new MeshObservability(
          "observability",
          {
              istioVersion: config.istioVersion,
              tracingSampling: config.tracingSampling,
              istioReady: mesh.ready,
          },
          { provider },
      )
    : undefined;

/** EKS only: the cluster's name and a kubeconfig for it. */
export const clusterName = cluster?.clusterName;
export const kubeconfig = cluster?.kubeconfig;
export const ingressHost = app.ingressHost;
export const ingressPort = app.ingressPort;
export const productPageUrl = app.productPageUrl;
/**
 * The kubectl flags that reach this stack's cluster whatever kubectl's current context (on EKS,
 * the kubeconfig.json the README's kubectl section writes); appended to the commands below, and
 * `npm run dashboards` runs its port-forwards with them.
 */
export const kubectlArgs = kubectlTargetArgs(config);
/** With a NodePort gateway: run this, then open productPageUrl. */
export const portForwardCommand =
    app.portForwardCommand === undefined
        ? undefined
        : targetedCommand(app.portForwardCommand, kubectlArgs);
export const routingMode = routing.mode;
/** sidecar or ambient: whose metrics `npm run verify -- --prometheus` reads. */
export { dataplane };
/** For anonymous readers and jason, the expected share of each reviews version (`npm run verify`). */
export const reviewsExpectation = routing.expectedShares;
/** With observability: each UI's port-forward command and local URL (`npm run dashboards`). */
export const dashboards =
    observability === undefined
        ? undefined
        : targetedDashboards(observability.dashboards, kubectlArgs);
