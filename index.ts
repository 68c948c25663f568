/**
 * Istio on Amazon EKS: an EKS cluster, Istio from its official charts, the Bookinfo sample behind
 * the ingress gateway, and its reviews routing chosen by the stack setting `routing`.
 * This file only reads the settings and composes the four components.
 */
import * as pulumi from "@pulumi/pulumi";

import { BookinfoApp, EksCluster, IstioMesh, ReviewsRouting } from "./components";
import { readConfig } from "./lib/config";

// Validated before any resource exists: a bad setting stops here and nothing changes.
const config = readConfig();
const stack = pulumi.getStack();
const tags = { "istio-eks:stack": stack, "istio-eks:project": pulumi.getProject() };

const cluster = new EksCluster(stack, {
    kubernetesVersion: config.kubernetesVersion,
    instanceType: config.nodeInstanceType,
    scaling: {
        desired: config.nodeDesiredCount,
        min: config.nodeMinCount,
        max: config.nodeMaxCount,
    },
    sshPublicKey: config.sshPublicKey,
    existingVpc: config.existingVpc,
    adminPrincipalArns: config.adminPrincipalArns,
    tags,
});

const mesh = new IstioMesh("istio", {
    provider: cluster.provider,
    version: config.istioVersion,
    loadBalancerType: config.loadBalancerType,
});

const app = new BookinfoApp("bookinfo", {
    provider: cluster.provider,
    mesh,
    namespace: config.appNamespace,
});

const routing = new ReviewsRouting("routing", {
    provider: cluster.provider,
    namespace: app.namespace,
    ...config.traffic,
    istioReady: mesh.ready,
});

export const clusterName = cluster.clusterName;
export const kubeconfig = cluster.kubeconfig;
export const ingressHost = mesh.ingressHost;
export const ingressPort = mesh.ingressPort;
export const productPageUrl = app.productPageUrl;
export const routingMode = routing.mode;
/** For anonymous readers and jason, the expected share of each reviews version (`npm run verify`). */
export const reviewsExpectation = routing.expectedShares;
