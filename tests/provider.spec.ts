/**
 * The components as a Pulumi component provider (provider/): the package schema it infers from
 * the TypeScript types, which every language's SDK is generated from, and the components it
 * constructs from inputs as another language's SDK sends them.
 */
import * as assert from "assert/strict";
import * as fs from "fs";
import * as path from "path";

import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

import { COMPONENTS, componentProvider } from "../provider/componentProvider";
import { runPulumi, valueOf } from "./harness";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

/** A property's type in short: `string`, `Input<number>`, `RoutingMode?`, `kubernetes:...:Release[]`. */
function typeOf(p: Json): string {
    let t: string;
    if (p.$ref !== undefined) {
        t = decodeURIComponent(p.$ref)
            .replace(/^#\/types\/istio-eks:index:/, "")
            .replace(/^\/(\w+)\/v[\d.]+\/schema\.json#\/resources\//, "");
    } else if (p.type === "array") {
        t = `${typeOf(p.items)}[]`;
    } else if (p.type === "object" && p.additionalProperties !== undefined) {
        t = `map<${typeOf(p.additionalProperties)}>`;
    } else {
        t = p.type;
    }
    return t;
}

/** Each property's short type, `Input<...>` where another language may pass an output. */
function properties(props: Json, inputs: boolean): Record<string, string> {
    return Object.fromEntries(
        Object.entries(props).map(([name, p]: [string, Json]) => {
            const t = typeOf(p);
            return [name, `${inputs && !p.plain ? `Input<${t}>` : t}${p.optional ? "?" : ""}`];
        }),
    );
}

describe("The component provider (provider/)", () => {
    let plugin: ReturnType<typeof componentProvider>;
    let schema: Json;

    before(async function () {
        // The schema is inferred from a TypeScript program of the components: a few seconds.
        this.timeout(60_000);
        plugin = componentProvider();
        schema = JSON.parse(await plugin.getSchema());
    });

    describe("The package schema (ComponentProvider, inferred from the TypeScript types)", () => {
        const RELEASE = "kubernetes:helm.sh/v3:Release";

        it("is the package istio-eks at the npm package's version, depending on eks and kubernetes", () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            assert.equal(schema.version, require("../package.json").version);
            assert.equal(schema.name, "istio-eks");
            assert.deepEqual(
                schema.dependencies.map((d: Json) => d.name),
                ["eks", "kubernetes"],
            );
            assert.deepEqual(Object.keys(schema.resources), [
                "istio-eks:index:EksCluster",
                "istio-eks:index:IstioMesh",
                "istio-eks:index:BookinfoApp",
                "istio-eks:index:ReviewsRouting",
                "istio-eks:index:GatewayApiCrds",
                "istio-eks:index:GatewayApiRouting",
                "istio-eks:index:MeshObservability",
            ]);
            assert.deepEqual(
                COMPONENTS.map((c) => c.name),
                [
                    "EksCluster",
                    "IstioMesh",
                    "BookinfoApp",
                    "ReviewsRouting",
                    "GatewayApiCrds",
                    "GatewayApiRouting",
                    "MeshObservability",
                ],
            );
        });

        const expected: Record<string, { inputs: object; outputs: object }> = {
            EksCluster: {
                inputs: {
                    kubernetesVersion: "string",
                    instanceType: "string",
                    scaling: "NodeScaling",
                    sshPublicKey: "string?",
                    existingVpc: "ExistingVpc?",
                    adminPrincipalArns: "string[]?",
                    awsProfile: "string?",
                    tags: "map<string>?",
                },
                outputs: {
                    clusterName: "string",
                    kubeconfig: "string",
                    vpcId: "string",
                    clusterSecurityGroupId: "string",
                    cluster: "eks:index:Cluster",
                    nodeGroup: "eks:index:ManagedNodeGroup",
                },
            },
            IstioMesh: {
                inputs: {
                    version: "string",
                    revision: "string?",
                    canaryVersion: "string?",
                    dataplaneRevision: "RevisionTag?",
                    serviceType: "GatewayServiceType?",
                    loadBalancerType: "LoadBalancerType?",
                    meshConfig: "map<pulumi.json#/Any>?",
                    dataplaneMode: "Dataplane?",
                    ingressGateway: "boolean?",
                    gatewayApiCrds: "GatewayApiCrdSource?",
                },
                outputs: {
                    base: RELEASE,
                    istiod: RELEASE,
                    canaryIstiod: `${RELEASE}?`,
                    gateway: `${RELEASE}?`,
                    cni: `${RELEASE}?`,
                    ztunnel: `${RELEASE}?`,
                    ready: `${RELEASE}[]`,
                    dataplane: "DataplaneInjection",
                    gatewayPodLabels: "map<string>?",
                    gatewayHttpTargetPort: "number?",
                    ingressHost: "string?",
                    ingressPort: "number?",
                    portForwardCommand: "string?",
                },
            },
            BookinfoApp: {
                inputs: {
                    mesh: "MeshEndpoints",
                    namespace: "string?",
                    manifest: "string?",
                    trafficApi: "TrafficApi?",
                    gatewayApiIngress: "GatewayApiIngress?",
                },
                outputs: {
                    namespace: "string",
                    productPageUrl: "string",
                    ingressHost: "string",
                    ingressPort: "number",
                    portForwardCommand: "string?",
                    waypointName: "string?",
                },
            },
            ReviewsRouting: {
                inputs: {
                    namespace: "Input<string>",
                    mode: "RoutingMode",
                    canaryWeight: "number?",
                    ratingsFault: "RatingsFaultSpec?",
                    reviewsTimeout: "string?",
                    mtls: "MtlsMode?",
                    services: "map<string[]>?",
                    istioReady: `Input<${RELEASE}[]>?`,
                },
                outputs: { mode: "RoutingMode", expectedShares: "ExpectedShares" },
            },
            MeshObservability: {
                inputs: {
                    istioVersion: "string",
                    tracingSampling: "number?",
                    istioReady: `Input<${RELEASE}[]>?`,
                },
                outputs: { releases: "AddonReleases", dashboards: "AddonDashboards" },
            },
            GatewayApiCrds: {
                inputs: { source: "GatewayApiCrdSource?", version: "string?" },
                outputs: {
                    bundleVersion: "string",
                    installed: "kubernetes:yaml/v2:ConfigFile?",
                    gatewaysCrd: "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition?",
                },
            },
            GatewayApiRouting: {
                inputs: {
                    namespace: "Input<string>",
                    mode: "RoutingMode",
                    canaryWeight: "number?",
                    ratingsFault: "RatingsFaultSpec?",
                    reviewsTimeout: "string?",
                    mtls: "MtlsMode?",
                    manifest: "string?",
                    istioReady: `Input<${RELEASE}[]>?`,
                    waypointName: "Input<string>?",
                },
                outputs: {
                    mode: "RoutingMode",
                    expectedShares: "ExpectedShares",
                    versionServices: "map<kubernetes:core/v1:Service>",
                },
            },
        };
        for (const [component, { inputs, outputs }] of Object.entries(expected)) {
            it(`${component}: its inputs, outputs and their types`, () => {
                const r = schema.resources[`istio-eks:index:${component}`];
                assert.equal(r.isComponent, true);
                assert.deepEqual(properties(r.inputProperties, true), inputs);
                assert.deepEqual(properties(r.properties, false), outputs);
                assert.deepEqual(
                    [...r.requiredInputs].sort(),
                    Object.entries(inputs)
                        .filter(([, t]) => !t.endsWith("?"))
                        .map(([name]) => name)
                        .sort(),
                );
            });
        }

        it("the object types of the inputs and outputs", () => {
            const objects = Object.fromEntries(
                Object.entries(schema.types)
                    .filter(([, t]: [string, Json]) => t.properties !== undefined)
                    .map(([token, t]: [string, Json]) => [
                        token.replace("istio-eks:index:", ""),
                        properties(t.properties, true),
                    ]),
            );
            assert.deepEqual(objects, {
                NodeScaling: { desired: "number", min: "number", max: "number" },
                ExistingVpc: {
                    vpcId: "string",
                    publicSubnetIds: "string[]",
                    privateSubnetIds: "string[]",
                },
                RevisionTagObjects: {
                    webhook:
                        "Input<kubernetes:admissionregistration.k8s.io/v1:MutatingWebhookConfiguration>",
                    service: "Input<kubernetes:core/v1:Service>",
                },
                DataplaneInjection: {
                    mode: "Input<Dataplane>?",
                    namespaceLabels: "Input<map<string>>",
                    podAnnotations: "Input<map<string>>",
                    ready: `Input<${RELEASE}[]>`,
                    tag: "Input<RevisionTagObjects>?",
                },
                MeshEndpoints: {
                    ready: `Input<${RELEASE}[]>`,
                    dataplane: "DataplaneInjection?",
                    gatewayPodLabels: "Input<map<string>>?",
                    gatewayHttpTargetPort: "Input<number>?",
                    ingressHost: "Input<string>?",
                    ingressPort: "Input<number>?",
                    portForwardCommand: "string?",
                },
                GatewayApiIngress: {
                    serviceType: "GatewayServiceType?",
                    loadBalancerType: "LoadBalancerType?",
                },
                RatingsFaultSpec: {
                    kind: "RatingsFaultKind",
                    fixedDelay: "string?",
                    httpStatus: "number?",
                },
                ExpectedShares: { anonymous: "Input<map<number>>", jason: "Input<map<number>>" },
                AddonReleases: {
                    prometheus: `Input<${RELEASE}>`,
                    grafana: `Input<${RELEASE}>`,
                    jaeger: `Input<${RELEASE}>`,
                    kiali: `Input<${RELEASE}>`,
                },
                AddonDashboards: {
                    prometheus: "Input<Dashboard>",
                    grafana: "Input<Dashboard>",
                    jaeger: "Input<Dashboard>",
                    kiali: "Input<Dashboard>",
                },
                Dashboard: { portForwardCommand: "Input<string>", url: "Input<string>" },
            });
        });

        it("the enums, with the values TypeScript callers write", () => {
            const enums = Object.fromEntries(
                Object.entries(schema.types)
                    .filter(([, t]: [string, Json]) => t.enum !== undefined)
                    .map(([token, t]: [string, Json]) => [
                        token.replace("istio-eks:index:", ""),
                        Object.fromEntries(t.enum.map((e: Json) => [e.name, e.value])),
                    ]),
            );
            assert.deepEqual(enums, {
                GatewayServiceType: { LoadBalancer: "LoadBalancer", NodePort: "NodePort" },
                Dataplane: { Sidecar: "sidecar", Ambient: "ambient" },
                GatewayApiCrdSource: { Install: "install", Existing: "existing" },
                TrafficApi: { Istio: "istio", GatewayApi: "gateway-api" },
                LoadBalancerType: { nlb: "nlb", clb: "clb" },
                RevisionTag: { stable: "stable", canary: "canary" },
                RoutingMode: {
                    RoundRobin: "round-robin",
                    AllV1: "all-v1",
                    JasonV2: "jason-v2",
                    V3Fifty: "v3-50",
                    AllV3: "all-v3",
                    JasonV2ElseV3: "jason-v2-else-v3",
                    Canary: "canary",
                },
                RatingsFaultKind: { None: "none", Delay: "delay", Abort: "abort" },
                MtlsMode: { Permissive: "permissive", Strict: "strict" },
            });
        });

        /** The Python code of the README's section between `<!-- <marker>:` and `<!-- /<marker> -->`. */
        function readmePython(marker: string): string {
            const readme = fs.readFileSync(path.join(__dirname, "..", "README.md"), "utf8");
            const section = readme.slice(
                readme.indexOf(`<!-- ${marker}:`),
                readme.indexOf(`<!-- /${marker} -->`),
            );
            return /```python\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
        }

        /** Splits `a=1, b={"c": {"d": 2}}` (or a dict's `"c": ...`) at its top-level commas. */
        function pairs(text: string, separator: RegExp): [string, string][] {
            const parts: string[] = [];
            let depth = 0;
            let part = "";
            for (const c of text) {
                depth += c === "{" ? 1 : c === "}" ? -1 : 0;
                if (c === "," && depth === 0) {
                    parts.push(part.trim());
                    part = "";
                } else {
                    part += c;
                }
            }
            parts.push(part.trim());
            return parts.map((p) => {
                const m = separator.exec(p);
                assert.ok(m, p);
                return [m[1], p.slice(m[0].length).trim()];
            });
        }

        /**
         * Checks a Python program's calls against the schema: each component's keyword arguments,
         * dict keys (nested, against the object types), enum values, and the outputs it reads
         * (`mesh.ready`, `mesh.dataplane.namespace_labels`) of the components it made. Returns
         * the components it calls.
         */
        function checkPython(code: string): string[] {
            const camel = (snake: string) =>
                snake.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
            const typeOfRef = (p: Json) => schema.types[p.$ref.replace("#/types/", "")];
            const made: Record<string, string> = {};
            const checkValue = (what: string, input: Json, value: string) => {
                if (value.startsWith("{")) {
                    const type = typeOfRef(input);
                    for (const [key, v] of pairs(value.slice(1, -1), /^"(\w+)":/)) {
                        const property = type.properties[camel(key)];
                        assert.ok(property, `${what} has ${key}`);
                        checkValue(`${what}.${key}`, property, v);
                    }
                } else if (value.startsWith('"') && input.$ref !== undefined) {
                    const values = typeOfRef(input).enum.map((e: Json) => e.value);
                    assert.ok(values.includes(JSON.parse(value)), `${what}=${value}`);
                } else if (/^\w+(\.\w+)+$/.test(value) && made[value.split(".")[0]]) {
                    const [variable, output, ...fields] = value.split(".");
                    const resource = schema.resources[`istio-eks:index:${made[variable]}`];
                    let property = resource.properties[camel(output)];
                    assert.ok(property, `${made[variable]} outputs ${output}`);
                    for (const field of fields) {
                        property = typeOfRef(property).properties[camel(field)];
                        assert.ok(property, `${value}: ${field}`);
                    }
                }
            };
            const calls = [
                ...code.matchAll(/^(?:(\w+) = )?istio_eks\.(\w+)\("[\w-]+", (.*), opts=opts\)$/gm),
            ];
            for (const [, variable, component, args] of calls) {
                const inputs = schema.resources[`istio-eks:index:${component}`].inputProperties;
                for (const [name, value] of pairs(args, /^(\w+)=/)) {
                    const input = inputs[camel(name)];
                    assert.ok(input, `${component} takes ${name}`);
                    checkValue(`${component} ${name}`, input, value);
                }
                if (variable !== undefined) {
                    made[variable] = component;
                }
            }
            return calls.map(([, , component]) => component);
        }

        it("takes the README's Python example: its components, arguments and values", () => {
            const code = readmePython("python-example");
            assert.equal(code.trim().split("\n").length, 5, "five lines");
            assert.deepEqual(checkPython(code), ["IstioMesh", "BookinfoApp", "ReviewsRouting"]);
        });

        it("takes the README's Python example of the Gateway API in ambient mode", () => {
            const code = readmePython("python-ambient-example");
            assert.deepEqual(checkPython(code), ["IstioMesh", "BookinfoApp", "GatewayApiRouting"]);
            assert.match(code, /"mode": "ambient"/);
            assert.match(code, /waypoint_name=app\.waypoint_name/);
        });

        it("describes the package, every component, property and enum value, from their JSDoc", () => {
            const described: [string, Json][] = [["the package", schema]];
            for (const [token, r] of Object.entries(schema.resources) as [string, Json][]) {
                described.push([token, r]);
                for (const [name, p] of Object.entries({ ...r.inputProperties })) {
                    described.push([`${token} input ${name}`, p]);
                }
                for (const [name, p] of Object.entries({ ...r.properties })) {
                    described.push([`${token} output ${name}`, p]);
                }
            }
            // The object and enum types themselves go without: @pulumi/pulumi 3.248's generateSchema
            // drops their descriptions. Their properties and values keep theirs.
            for (const [token, t] of Object.entries(schema.types) as [string, Json][]) {
                for (const [name, p] of Object.entries({ ...t.properties })) {
                    described.push([`${token}.${name}`, p]);
                }
                for (const e of t.enum ?? []) {
                    described.push([`${token}.${e.name}`, e]);
                }
            }
            for (const [what, { description }] of described) {
                assert.equal(typeof description, "string", `${what} has a description`);
                // JSDoc's {@link} comes out as "[object Object]": the sources use backquotes instead.
                assert.doesNotMatch(description, /object Object|@link|^\s*$/, what);
            }
            assert.match(
                schema.resources["istio-eks:index:IstioMesh"].inputProperties.version.description,
                /^Version of the charts base, istiod and gateway/,
            );
            assert.equal(
                schema.resources["istio-eks:index:GatewayApiRouting"].inputProperties.waypointName
                    .description,
                "In ambient mode, the name of the app namespace's waypoint, as `BookinfoApp`'s\n" +
                    "`waypointName` output gives it once the waypoint is programmed: the routes wait for it,\n" +
                    "since ambient ignores L7 routes without a waypoint. Absent with sidecars.",
            );
        });
    });

    describe("The component provider's construct, with inputs as another language sends them", () => {
        /** Constructs `component` in a mock run, with the resource options `options()` gives. */
        function construct(
            component: string,
            inputs: pulumi.Inputs,
            options: () => pulumi.ComponentResourceOptions,
        ) {
            return runPulumi(() =>
                plugin.construct(component.toLowerCase(), `istio-eks:index:${component}`, inputs, {
                    ...options(),
                }),
            );
        }
        const k8sProvider = () => ({
            providers: { kubernetes: new k8s.Provider("k8s", { kubeconfig: "{}" }) },
        });

        it("IstioMesh: plain inputs, the Kubernetes provider in the options; its outputs in the state", async () => {
            const run = await construct(
                "IstioMesh",
                { version: "1.30.5", serviceType: "NodePort" },
                k8sProvider,
            );
            const mesh = run.named("istiomesh");
            assert.equal(mesh.type, "istio-eks:index:IstioMesh");
            assert.deepEqual(
                run.resources.filter((r) => r.parent === mesh.urn).map((r) => r.name),
                [
                    "istiomesh-system",
                    "istiomesh-ingress",
                    "istiomesh-base",
                    "istiomesh-istiod",
                    "istiomesh-gateway",
                ],
            );
            for (const r of run.resources.filter((r) => r.parent === mesh.urn)) {
                assert.equal(run.providerName(r), "k8s", r.name);
            }
            assert.equal(run.named("istiomesh-gateway").inputs.values.service.type, "NodePort");
            const { urn, state } = await run.result;
            assert.equal(await valueOf(urn), mesh.urn);
            assert.deepEqual(Object.keys(state).sort(), [
                "base",
                "canaryIstiod",
                "cni",
                "dataplane",
                "gateway",
                "gatewayHttpTargetPort",
                "gatewayPodLabels",
                "ingressHost",
                "ingressPort",
                "istiod",
                "portForwardCommand",
                "ready",
                "ztunnel",
            ]);
            assert.equal(await valueOf(state.ingressHost), "localhost");
            assert.deepEqual(state.gatewayPodLabels, {
                app: "istio-ingressgateway",
                istio: "ingressgateway",
            });
            assert.deepEqual(state.ready, [state.base, state.istiod]);
        });

        it("BookinfoApp: the mesh and its data plane as objects of outputs and resource references", async () => {
            const run = await runPulumi(async () => {
                const { providers } = k8sProvider();
                const provider = providers.kubernetes;
                const crds = new k8s.helm.v3.Release("crds", { chart: "base" }, { provider });
                const istiod = new k8s.helm.v3.Release("istiod", { chart: "istiod" }, { provider });
                const webhook = new k8s.admissionregistration.v1.MutatingWebhookConfiguration(
                    "tag",
                    {},
                    { provider },
                );
                const service = new k8s.core.v1.Service("tag-service", {}, { provider });
                return plugin.construct(
                    "app",
                    "istio-eks:index:BookinfoApp",
                    {
                        namespace: "shop",
                        mesh: {
                            ready: pulumi.output([crds, istiod]),
                            gatewayPodLabels: pulumi.output({ istio: "ingressgateway" }),
                            gatewayHttpTargetPort: 80,
                            ingressHost: pulumi.output("lb.example.com"),
                            ingressPort: 80,
                            dataplane: {
                                namespaceLabels: pulumi.output({ "istio.io/rev": "canary" }),
                                podAnnotations: pulumi.output({
                                    "istio-eks/proxy-version": "1.31.1",
                                }),
                                ready: pulumi.output([crds, istiod]),
                                tag: { webhook, service },
                            },
                        },
                    },
                    { providers },
                );
            });
            const ns = run.named("app-ns");
            assert.deepEqual(run.dependencyNames(ns), ["crds", "istiod", "tag", "tag-service"]);
            assert.deepEqual(ns.inputs.metadata.labels, { "istio.io/rev": "canary" });
            assert.equal(run.providerName(ns), "k8s");
            const reviews = run.named("app-deployment-reviews-v2");
            assert.deepEqual(reviews.inputs.spec.template.metadata.annotations, {
                "istio-eks/proxy-version": "1.31.1",
            });
            assert.deepEqual(run.named("app-gateway").inputs.spec.selector, {
                istio: "ingressgateway",
            });
            assert.equal(reviews.inputs.metadata.namespace, "shop");
            const { state } = await run.result;
            assert.equal(
                await valueOf(state.productPageUrl),
                "http://lb.example.com:80/productpage",
            );
            assert.equal(await valueOf(state.namespace), "shop");
        });

        it("BookinfoApp: an ambient mesh's labels as an output and its mode as a value: the waypoint and its name", async () => {
            const run = await runPulumi(async () => {
                const { providers } = k8sProvider();
                const provider = providers.kubernetes;
                const istiod = new k8s.helm.v3.Release("istiod", { chart: "istiod" }, { provider });
                return plugin.construct(
                    "app",
                    "istio-eks:index:BookinfoApp",
                    {
                        trafficApi: "gateway-api",
                        gatewayApiIngress: { serviceType: "NodePort" },
                        mesh: {
                            ready: pulumi.output([istiod]),
                            dataplane: {
                                mode: "ambient",
                                namespaceLabels: pulumi.output({
                                    "istio.io/dataplane-mode": "ambient",
                                    "istio.io/use-waypoint": "waypoint",
                                }),
                                podAnnotations: pulumi.output({ "istio-eks/dataplane": "ambient" }),
                                ready: pulumi.output([istiod]),
                            },
                        },
                    },
                    { providers },
                );
            });
            const waypoint = run.named("app-waypoint");
            assert.equal(waypoint.inputs.spec.gatewayClassName, "istio-waypoint");
            assert.equal(run.providerName(waypoint), "k8s");
            assert.deepEqual(run.named("app-ns").inputs.metadata.labels, {
                "istio.io/dataplane-mode": "ambient",
                "istio.io/use-waypoint": "waypoint",
            });
            const { state } = await run.result;
            assert.equal(await valueOf(state.waypointName), "waypoint");
        });

        it("ReviewsRouting: enums as their values, the fault as an object, the namespace as an output", async () => {
            const run = await construct(
                "ReviewsRouting",
                {
                    namespace: pulumi.output("bookinfo"),
                    mode: "jason-v2",
                    ratingsFault: { kind: "abort", httpStatus: 503 },
                    mtls: "strict",
                },
                k8sProvider,
            );
            assert.deepEqual(run.named("reviewsrouting-vs-ratings").inputs.spec.http[0].fault, {
                abort: { httpStatus: 503, percentage: { value: 100 } },
            });
            assert.equal(
                run.named("reviewsrouting-peer-authentication").inputs.spec.mtls.mode,
                "STRICT",
            );
            const { state } = await run.result;
            assert.equal(await valueOf(state.mode), "jason-v2");
            assert.deepEqual(await valueOf(state.expectedShares), {
                anonymous: { v1: 1, v2: 0, v3: 0, error: 0 },
                jason: { v1: 0, v2: 0, v3: 0, error: 1 },
            });
        });

        it("EksCluster: the AWS provider in the options reaches every AWS resource and @pulumi/eks", async () => {
            const run = await construct(
                "EksCluster",
                {
                    kubernetesVersion: "1.35",
                    instanceType: "m5.large",
                    scaling: { desired: 2, min: 2, max: 3 },
                },
                () => ({ providers: { aws: new aws.Provider("west", { region: "us-west-2" }) } }),
            );
            assert.deepEqual(run.providerNames(run.named("ekscluster-eks")), { aws: "west" });
            assert.equal(run.providerName(run.named("ekscluster-vpc")), "west");
            assert.deepEqual(run.named("ekscluster-nodes").inputs.scalingConfig, {
                desiredSize: 2,
                minSize: 2,
                maxSize: 3,
            });
            const { state } = await run.result;
            assert.deepEqual(Object.keys(state).sort(), [
                "cluster",
                "clusterName",
                "clusterSecurityGroupId",
                "kubeconfig",
                "nodeGroup",
                "vpcId",
            ]);
        });

        it("GatewayApiCrds: the version as a string; the install file, its resource and version in the state", async () => {
            const run = await construct("GatewayApiCrds", { version: "v1.5.0" }, k8sProvider);
            const crds = run.named("gatewayapicrds");
            assert.equal(crds.type, "istio-eks:index:GatewayApiCrds");
            assert.deepEqual(
                run.resources.filter((r) => r.parent === crds.urn).map((r) => r.name),
                ["gatewayapicrds-crds"],
            );
            const file = run.named("gatewayapicrds-crds");
            assert.deepEqual(file.inputs, {
                file: "https://github.com/kubernetes-sigs/gateway-api/releases/download/v1.5.0/standard-install.yaml",
            });
            assert.equal(run.providerName(file), "k8s");
            const { state } = await run.result;
            assert.equal(await valueOf(state.bundleVersion), "v1.5.0");
            assert.equal(await valueOf(state.installed.urn), file.urn);
            assert.equal(state.gatewaysCrd, undefined);
        });

        it("GatewayApiCrds: the source as its enum value, existing: the cluster's CRD read, nothing created", async () => {
            const run = await construct("GatewayApiCrds", { source: "existing" }, k8sProvider);
            const crd = run.named("gatewayapicrds-gateways-crd");
            assert.deepEqual([crd.read, crd.id], [true, "gateways.gateway.networking.k8s.io"]);
            assert.equal(run.providerName(crd), "k8s");
            assert.equal(run.has("gatewayapicrds-crds"), false);
            const { state } = await run.result;
            assert.equal(await valueOf(state.bundleVersion), "v1.5.1");
            assert.equal(await valueOf(state.gatewaysCrd.urn), crd.urn);
        });

        it("GatewayApiRouting: the mesh's releases and the waypoint's name as outputs, which every route waits for", async () => {
            const run = await runPulumi(async () => {
                const { providers } = k8sProvider();
                const provider = providers.kubernetes;
                const istiod = new k8s.helm.v3.Release("istiod", { chart: "istiod" }, { provider });
                const waypoint = new k8s.apiextensions.CustomResource(
                    "waypoint",
                    {
                        apiVersion: "gateway.networking.k8s.io/v1",
                        kind: "Gateway",
                        metadata: { name: "waypoint", namespace: "shop" },
                    },
                    { provider },
                );
                return plugin.construct(
                    "routing",
                    "istio-eks:index:GatewayApiRouting",
                    {
                        namespace: pulumi.output("shop"),
                        mode: "canary",
                        canaryWeight: 20,
                        ratingsFault: { kind: "delay", fixedDelay: "7s" },
                        reviewsTimeout: "0.5s",
                        mtls: "strict",
                        istioReady: pulumi.output([istiod]),
                        waypointName: waypoint.metadata.name,
                    },
                    { providers },
                );
            });
            const routing = run.named("routing");
            assert.equal(routing.type, "istio-eks:index:GatewayApiRouting");
            const versions = [
                "details-v1",
                "ratings-v1",
                "reviews-v1",
                "reviews-v2",
                "reviews-v3",
                "productpage-v1",
            ];
            const services = versions.map((v) => `routing-svc-${v}`);
            assert.deepEqual(
                run.resources
                    .filter((r) => r.parent === routing.urn)
                    .map((r) => r.name)
                    .sort(),
                [
                    ...services,
                    "routing-route-details",
                    "routing-route-productpage",
                    "routing-route-reviews",
                    "routing-vs-ratings",
                    "routing-peer-authentication",
                ].sort(),
            );
            for (const r of run.resources.filter((r) => r.parent === routing.urn)) {
                assert.equal(run.providerName(r), "k8s", r.name);
                assert.equal(r.inputs.metadata.namespace, "shop", r.name);
            }
            for (const name of [
                "routing-route-details",
                "routing-route-productpage",
                "routing-route-reviews",
                "routing-vs-ratings",
            ]) {
                assert.deepEqual(
                    run.dependencyNames(run.named(name)),
                    ["istiod", "waypoint", ...services].sort(),
                    name,
                );
            }
            assert.deepEqual(run.dependencyNames(run.named("routing-peer-authentication")), [
                "istiod",
                "waypoint",
            ]);
            assert.deepEqual(run.named("routing-route-reviews").inputs.spec, {
                parentRefs: [{ group: "", kind: "Service", name: "reviews", port: 9080 }],
                rules: [
                    {
                        backendRefs: [
                            { name: "reviews-v1", port: 9080, weight: 80 },
                            { name: "reviews-v3", port: 9080, weight: 20 },
                        ],
                        timeouts: { request: "500ms" },
                    },
                ],
            });
            assert.deepEqual(run.named("routing-vs-ratings").inputs.spec.http[0].fault, {
                delay: { fixedDelay: "7s", percentage: { value: 100 } },
            });
            assert.equal(run.named("routing-peer-authentication").inputs.spec.mtls.mode, "STRICT");
            const { state } = await run.result;
            assert.equal(await valueOf(state.mode), "canary");
            assert.deepEqual(await valueOf(state.expectedShares), {
                anonymous: { v1: 0.8, v2: 0, v3: 0.2, error: 0 },
                // jason's v3 calls ratings, delayed 7s for jason, past the 0.5s timeout.
                jason: { v1: 0.8, v2: 0, v3: 0, error: 0.2 },
            });
            assert.deepEqual(Object.keys(state.versionServices), versions);
            assert.equal(
                await valueOf(state.versionServices["reviews-v2"].urn),
                run.named("routing-svc-reviews-v2").urn,
            );
        });

        it("MeshObservability: the releases and dashboards in the state", async () => {
            const run = await construct(
                "MeshObservability",
                { istioVersion: "1.30.5", tracingSampling: 10 },
                k8sProvider,
            );
            const telemetry = run.named("meshobservability-telemetry");
            assert.equal(telemetry.inputs.spec.tracing[0].randomSamplingPercentage, 10);
            const { state } = await run.result;
            assert.deepEqual(Object.keys(state.releases), [
                "prometheus",
                "grafana",
                "jaeger",
                "kiali",
            ]);
            assert.equal(
                await valueOf(state.releases.kiali.urn),
                run.named("meshobservability-kiali").urn,
            );
            assert.match(state.dashboards.kiali.url, /^http:\/\/localhost:20001\/kiali/);
        });
    });
});
