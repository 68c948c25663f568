// The manifests and routing data as specifications: exact contents, schema validation of every
// object, and cross-checks of subsets, labels, selectors and ports between manifest and code.
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";

import {
    gatewaySpec,
    GATEWAY_NAME,
    PRODUCTPAGE_ROUTES,
    PRODUCTPAGE_SERVICE,
    productpageVirtualServiceSpec,
} from "../components/bookinfoApp";
import {
    gatewayPodLabels,
    GATEWAY_HTTP,
    GATEWAY_SERVICE_PORTS,
    LOAD_BALANCER_ANNOTATIONS,
    RELEASE_NAMES,
} from "../components/istioMesh";
import {
    GATEWAY_API_VERSION_V1,
    gatewayApiPlan,
    GatewayApiPlan,
    HttpRouteSpec,
    ingressGatewaySpec,
    productpageHttpRouteSpec,
    ServiceParentRef,
    versionServices,
} from "../lib/gatewayApi";
import { waypointSpec } from "../lib/trafficModel";
import {
    BOOKINFO_MANIFEST,
    BookinfoModel,
    kindOf,
    loadManifest,
    ManifestObject,
    MANIFESTS_DIR,
    parseManifest,
    sourceName,
} from "../lib/manifests";
import { OBSERVABILITY_NAMESPACE, TELEMETRY_NAME, telemetrySpec } from "../lib/observability";
import {
    defaultTrafficOptions,
    routingPlan,
    RoutingPlan,
    ROUTING_MODE_NAMES,
    TrafficOptions,
    VERSION_LABEL,
} from "../lib/routing";

type Labels = Record<string, string>;
interface ServiceObject extends ManifestObject {
    spec: { ports: { name?: string; port: number }[]; selector: Labels };
}
interface DeploymentObject extends ManifestObject {
    spec: {
        selector: { matchLabels: Labels };
        template: {
            metadata: { labels: Labels };
            spec: {
                serviceAccountName: string;
                containers: { name: string; image: string; ports: { containerPort: number }[] }[];
            };
        };
    };
}

/** A model class of kubernetes-models: `new X(obj).validate()` throws on an invalid object. */
interface SchemaClass {
    readonly apiVersion: string;
    readonly kind: string;
    new (data: object): { apiVersion: string; kind: string; validate(): void };
}

// Both model packages are ESM only (their "exports" have an "import" condition alone), and the
// tests compile to CommonJS, where TypeScript would turn import() into require(): keep import().
const importEsm = new Function("specifier", "return import(specifier)") as (
    specifier: string,
) => Promise<Record<string, SchemaClass>>;

const SCHEMA_MODULES = {
    "kubernetes-models/v1/Service": "Service",
    "kubernetes-models/v1/ServiceAccount": "ServiceAccount",
    "kubernetes-models/apps/v1/Deployment": "Deployment",
    "@kubernetes-models/istio/networking.istio.io/v1/Gateway": "Gateway",
    "@kubernetes-models/istio/networking.istio.io/v1/VirtualService": "VirtualService",
    "@kubernetes-models/istio/networking.istio.io/v1/DestinationRule": "DestinationRule",
    "@kubernetes-models/istio/security.istio.io/v1/PeerAuthentication": "PeerAuthentication",
    "@kubernetes-models/istio/telemetry.istio.io/v1/Telemetry": "Telemetry",
    // The Gateway API's v1.5.1 schemas (the release Istio 1.30 requires).
    "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/Gateway": "Gateway",
    "@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1/HTTPRoute": "HTTPRoute",
};

/** Schema classes by `apiVersion/kind`; every suite that validates loads them in `before`. */
const schemas = new Map<string, SchemaClass>();
async function loadSchemas(): Promise<void> {
    for (const [specifier, name] of Object.entries(SCHEMA_MODULES)) {
        const schema = (await importEsm(specifier))[name];
        schemas.set(`${schema.apiVersion}/${schema.kind}`, schema);
    }
}

const NAMESPACE = "bookinfo";

/** Validates an object against the schema of its `apiVersion/kind`, in the app's namespace. */
function validate(obj: ManifestObject): void {
    const schema = schemas.get(kindOf(obj));
    if (schema === undefined) {
        assert.fail(`no schema mapped for ${kindOf(obj)} (${obj.metadata.name})`);
    }
    const metadata = { ...obj.metadata, namespace: obj.metadata.namespace ?? NAMESPACE };
    const instance = new schema({ ...obj, metadata });
    assert.strictEqual(`${instance.apiVersion}/${instance.kind}`, kindOf(obj));
    instance.validate();
}

function istioObject(
    kind: string,
    name: string,
    spec: object,
    apiVersion = "networking.istio.io/v1",
): ManifestObject {
    const metadata = { name, namespace: NAMESPACE };
    return { apiVersion, kind, metadata, spec };
}

function selects(selector: Labels, labels: Labels): boolean {
    return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

/** `f()`, or `fallback` when it throws: a test of its own then reports the error. */
function orElse<T>(f: () => T, fallback: T): T {
    try {
        return f();
    } catch {
        return fallback;
    }
}

const MANIFEST_FILES = fs
    .readdirSync(MANIFESTS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => path.join(MANIFESTS_DIR, f));

const model = new BookinfoModel(
    orElse(() => loadManifest(BOOKINFO_MANIFEST), []),
    sourceName(BOOKINFO_MANIFEST),
);
const services = model.ofKind<ServiceObject>("v1/Service");
const deployments = model.ofKind<DeploymentObject>("apps/v1/Deployment");
const serviceAccounts = model.ofKind("v1/ServiceAccount");
const names = (objs: readonly ManifestObject[]) => objs.map((o) => o.metadata.name);
const podLabels = (d: DeploymentObject) => d.spec.template.metadata.labels;
const podsOf = (selector: Labels) => deployments.filter((d) => selects(selector, podLabels(d)));

const GATEWAY_SPEC = gatewaySpec(gatewayPodLabels(RELEASE_NAMES.gateway), GATEWAY_HTTP.targetPort);
const gateway = istioObject("Gateway", GATEWAY_NAME, GATEWAY_SPEC);
const PRODUCTPAGE_VS = productpageVirtualServiceSpec(9080);
const productpageVs = istioObject("VirtualService", "bookinfo", PRODUCTPAGE_VS);
const NO_PLAN: RoutingPlan = {
    destinationRules: [],
    virtualServices: [],
    peerAuthentication: { name: "default", spec: { mtls: { mode: "PERMISSIVE" } } },
};
/** Every mode with default options, and modes with each traffic option set. */
const OPTIONS: TrafficOptions[] = [
    ...ROUTING_MODE_NAMES.map((mode) => defaultTrafficOptions(mode)),
    ...[0, 25, 100].map((canaryWeight) => ({ ...defaultTrafficOptions("canary"), canaryWeight })),
    { ...defaultTrafficOptions("jason-v2"), ratingsFault: { kind: "delay", fixedDelay: "7s" } },
    { ...defaultTrafficOptions("jason-v2"), ratingsFault: { kind: "abort", httpStatus: 500 } },
    { ...defaultTrafficOptions("round-robin"), reviewsTimeout: "0.5s" },
    { ...defaultTrafficOptions("jason-v2-else-v3"), reviewsTimeout: "1s", mtls: "strict" },
];
const PLANS = OPTIONS.map((options) => {
    const { mode, ...rest } = options;
    const defaults = defaultTrafficOptions(mode);
    const changed = Object.entries(rest).filter(
        ([k, v]) => JSON.stringify(v) !== JSON.stringify(defaults[k as keyof TrafficOptions]),
    );
    return {
        mode:
            changed.length === 0 ? mode : `${mode} ${JSON.stringify(Object.fromEntries(changed))}`,
        options,
        plan: orElse(() => routingPlan(model.serviceVersions(VERSION_LABEL), options), NO_PLAN),
    };
});

describe("manifests", () => {
    before(loadSchemas);

    it("holds only .yaml files, bookinfo.yaml among them", () => {
        const others = fs.readdirSync(MANIFESTS_DIR).filter((f) => !f.endsWith(".yaml"));
        assert.deepStrictEqual(others, []);
        assert.ok(MANIFEST_FILES.includes(BOOKINFO_MANIFEST));
    });

    for (const file of MANIFEST_FILES) {
        const base = path.basename(file);
        it(`${base} parses and holds at least one object`, () => {
            assert.ok(loadManifest(file).length > 0);
        });
        describe(`${base} validates against the Kubernetes schemas`, () => {
            for (const obj of orElse(() => loadManifest(file), [])) {
                it(`${kindOf(obj)} ${obj.metadata.name}`, () => validate(obj));
            }
        });
    }
});

describe("bookinfo.yaml", () => {
    const SERVICES = ["details", "ratings", "reviews", "productpage"];

    it("holds exactly the Services, ServiceAccounts and Deployments of Bookinfo", () => {
        assert.deepStrictEqual(names(services), SERVICES);
        assert.deepStrictEqual(
            serviceAccounts.map((sa) => [sa.metadata.name, sa.metadata.labels]),
            SERVICES.map((s) => [`bookinfo-${s}`, { account: s }]),
        );
        assert.deepStrictEqual(names(deployments), [
            "details-v1",
            "ratings-v1",
            "reviews-v1",
            "reviews-v2",
            "reviews-v3",
            "productpage-v1",
        ]);
        assert.strictEqual(model.objects.length, 14);
    });

    for (const svc of services) {
        const name = svc.metadata.name;
        it(`Service ${name} exposes one port 9080 "http" and selects app=${name}`, () => {
            assert.deepStrictEqual(svc.spec.ports, [{ port: 9080, name: "http" }]);
            assert.deepStrictEqual(svc.spec.selector, { app: name });
        });
    }

    for (const dep of deployments) {
        const [app, version] = dep.metadata.name.split("-");
        it(`Deployment ${dep.metadata.name} runs ${app} ${version} as bookinfo-${app}`, () => {
            assert.deepStrictEqual(dep.metadata.labels, { app, version });
            assert.deepStrictEqual(podLabels(dep), { app, version });
            assert.deepStrictEqual(dep.spec.selector.matchLabels, podLabels(dep));
            const pod = dep.spec.template.spec;
            assert.strictEqual(pod.serviceAccountName, `bookinfo-${app}`);
            assert.strictEqual(pod.containers.length, 1);
            const [{ name, image, ports }] = pod.containers;
            assert.strictEqual(name, app);
            assert.strictEqual(
                image,
                `registry.istio.io/release/examples-bookinfo-${app}-${version}:1.20.3`,
            );
            assert.deepStrictEqual(ports, [{ containerPort: 9080 }]);
        });
    }
});

describe("schema validation", () => {
    before(loadSchemas);

    type Edit = (o: { spec: Record<string, unknown> }) => void;
    const edited = (obj: ManifestObject, edit: Edit) => {
        const copy = structuredClone(obj) as ManifestObject & { spec: Record<string, unknown> };
        edit(copy);
        return copy;
    };
    const REJECTED: [string, () => ManifestObject, RegExp][] = [
        [
            "a Deployment with replicas as a string",
            () => edited(deployments[0], (d) => (d.spec.replicas = "one")),
            /spec\/replicas must be integer/,
        ],
        [
            "a Deployment without a selector",
            () => edited(deployments[0], (d) => delete d.spec.selector),
            /spec must have required property selector/,
        ],
        [
            'a Service with port "9080", a string',
            () => edited(services[0], (s) => (s.spec.ports = [{ name: "http", port: "9080" }])),
            /spec\/ports\/0\/port must be integer/,
        ],
        [
            "a Service whose selector is a list",
            () => edited(services[0], (s) => (s.spec.selector = ["app"])),
            /spec\/selector must be object/,
        ],
        [
            "a VirtualService whose route is a string",
            () =>
                istioObject("VirtualService", "r", { hosts: ["r"], http: [{ route: "reviews" }] }),
            /spec\/http\/0\/route must be array/,
        ],
        [
            "a DestinationRule subset without a name",
            () => istioObject("DestinationRule", "r", { host: "r", subsets: [{ labels: {} }] }),
            /spec\/subsets\/0 must have required property name/,
        ],
        [
            "a kind no schema is mapped for",
            () => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" } }),
            /no schema mapped for v1\/ConfigMap/,
        ],
    ];

    it("accepts the objects the invalid ones below are made from", () => {
        validate(deployments[0]);
        validate(services[0]);
    });

    for (const [what, obj, message] of REJECTED) {
        it(`rejects ${what}`, () => assert.throws(() => validate(obj()), message));
    }
});

describe("parseManifest", () => {
    const svc = "apiVersion: v1\nkind: Service\nmetadata:\n  name: a\n";
    const REJECTED: [string, string, RegExp][] = [
        ["invalid YAML", `${svc}---\nkind: [\n`, /^t\.yaml, document 2: invalid YAML: \S/],
        [
            "a document without kind",
            "apiVersion: v1\nmetadata:\n  name: c\n",
            /^t\.yaml, document 1: expected apiVersion and kind$/,
        ],
        [
            "an object with metadata.namespace",
            `${svc}  namespace: default\n`,
            /^t\.yaml, document 1: Service a sets metadata\.namespace; the component sets it$/,
        ],
        [
            "an unsupported kind",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n",
            /^t\.yaml, document 1: v1\/ConfigMap is not supported; expected one of v1\/Service, v1\/ServiceAccount, apps\/v1\/Deployment$/,
        ],
        ["a duplicate Service", `${svc}---\n${svc}`, /^t\.yaml, document 2: duplicate Service a$/],
    ];

    it("parses several documents and skips empty ones", () => {
        assert.deepStrictEqual(parseManifest(`---\n${svc}---\n---\n`, "t.yaml"), [
            { apiVersion: "v1", kind: "Service", metadata: { name: "a" } },
        ]);
    });

    for (const [what, text, message] of REJECTED) {
        it(`rejects ${what}, naming the source and the document`, () => {
            assert.throws(
                () => parseManifest(text, "t.yaml"),
                (e: unknown) => e instanceof Error && message.test(e.message),
            );
        });
    }
});

describe("BookinfoModel", () => {
    it("reads a Service's http port, and throws for a Service it does not have", () => {
        assert.strictEqual(model.servicePort("productpage"), 9080);
        assert.throws(
            () => model.servicePort("nope"),
            /^Error: manifests\/bookinfo.yaml: no Service nope with a port "http"$/,
        );
    });

    it("lists the versions each Service selects", () => {
        assert.deepStrictEqual(model.serviceVersions(VERSION_LABEL), {
            details: ["v1"],
            productpage: ["v1"],
            ratings: ["v1"],
            reviews: ["v1", "v2", "v3"],
        });
    });

    it("takes a component's manifest argument, or the project's manifest without one", () => {
        assert.deepStrictEqual(BookinfoModel.fromArgument(undefined).objects, model.objects);
        const text = fs.readFileSync(BOOKINFO_MANIFEST, "utf8");
        const given = BookinfoModel.fromArgument(text);
        assert.deepStrictEqual(given.objects, model.objects);
        assert.strictEqual(given.source, "the manifest argument");
        assert.throws(
            () => BookinfoModel.fromArgument("kind: Service\n"),
            /^Error: the manifest argument, document 1: expected apiVersion and kind$/,
        );
    });
});

describe("Istio objects built by code validate", () => {
    before(loadSchemas);

    it(`the Gateway ${GATEWAY_NAME}`, () => validate(gateway));
    it("the productpage VirtualService", () => validate(productpageVs));
    for (const percent of [100, 0, 2.5]) {
        it(`the mesh-wide Telemetry, tracing ${percent}%`, () =>
            validate({
                apiVersion: "telemetry.istio.io/v1",
                kind: "Telemetry",
                metadata: { name: TELEMETRY_NAME, namespace: OBSERVABILITY_NAMESPACE },
                spec: telemetrySpec(percent),
            }));
    }
    it("refuses a Telemetry that names no provider by a string", () => {
        const bad = {
            apiVersion: "telemetry.istio.io/v1",
            kind: "Telemetry",
            metadata: { name: TELEMETRY_NAME, namespace: OBSERVABILITY_NAMESPACE },
            spec: { tracing: [{ providers: [{ name: 7 }], randomSamplingPercentage: "all" }] },
        };
        assert.throws(() => validate(bad));
    });

    for (const { mode, options, plan } of PLANS) {
        describe(`routing mode ${mode}`, () => {
            it("builds its plan from the manifest", () => {
                routingPlan(model.serviceVersions(VERSION_LABEL), options);
            });
            it(`PeerAuthentication ${plan.peerAuthentication.name}`, () =>
                validate(
                    istioObject(
                        "PeerAuthentication",
                        plan.peerAuthentication.name,
                        plan.peerAuthentication.spec,
                        "security.istio.io/v1",
                    ),
                ));
            for (const dr of plan.destinationRules) {
                it(`DestinationRule ${dr.name}`, () =>
                    validate(istioObject("DestinationRule", dr.name, dr.spec)));
            }
            for (const vs of plan.virtualServices) {
                it(`VirtualService ${vs.name}`, () =>
                    validate(istioObject("VirtualService", vs.name, vs.spec)));
            }
        });
    }
});

describe("cross-checks", () => {
    for (const { mode, plan } of PLANS) {
        describe(`routing mode ${mode}`, () => {
            it("routes only to subsets the host's DestinationRule defines", () => {
                for (const vs of plan.virtualServices) {
                    assert.deepStrictEqual(vs.spec.hosts, [vs.name]);
                    for (const { destination } of vs.spec.http.flatMap((h) => h.route)) {
                        const dr = plan.destinationRules.find(
                            (d) => d.spec.host === destination.host,
                        );
                        // No subset: any pod of the host (a timeout in round-robin).
                        assert.ok(
                            dr !== undefined &&
                                (destination.subset === undefined ||
                                    dr.spec.subsets.some((s) => s.name === destination.subset)),
                            `${vs.name} routes to ${destination.host}/${destination.subset}`,
                        );
                    }
                }
            });

            it("has a DestinationRule per Service, each subset selecting that service's version", () => {
                assert.deepStrictEqual(
                    plan.destinationRules.map((d) => [d.name, d.spec.host]),
                    [...names(services)].sort().map((s) => [s, s]),
                );
                for (const dr of plan.destinationRules) {
                    const svc = services.find((s) => s.metadata.name === dr.spec.host);
                    assert.ok(svc, `no Service ${dr.spec.host}`);
                    for (const subset of dr.spec.subsets) {
                        const selected = podsOf(subset.labels);
                        assert.ok(selected.length > 0, `${dr.name}/${subset.name} selects no pods`);
                        assert.deepStrictEqual(
                            names(selected.filter((d) => selects(svc.spec.selector, podLabels(d)))),
                            [`${dr.spec.host}-${subset.name}`],
                        );
                    }
                }
            });
        });
    }

    it("every Service selects the pods of at least one Deployment", () => {
        for (const svc of services) {
            assert.ok(podsOf(svc.spec.selector).length > 0, `${svc.metadata.name} selects no pods`);
        }
    });

    it("every Deployment is selected by exactly one Service, the one it is named after", () => {
        for (const dep of deployments) {
            const by = services.filter((s) => selects(s.spec.selector, podLabels(dep)));
            assert.deepStrictEqual(names(by), [dep.metadata.name.split("-")[0]]);
        }
    });

    it("the Gateway selects the ingress gateway pods, on a port their Service targets", () => {
        assert.deepStrictEqual(gatewayPodLabels(RELEASE_NAMES.gateway), {
            app: "istio-ingressgateway",
            istio: "ingressgateway",
        });
        assert.deepStrictEqual(GATEWAY_SPEC, {
            selector: gatewayPodLabels(RELEASE_NAMES.gateway),
            servers: [{ port: { number: 80, name: "http", protocol: "HTTP" }, hosts: ["*"] }],
        });
        const targetPorts: number[] = GATEWAY_SERVICE_PORTS.map((p) => p.targetPort);
        assert.ok(targetPorts.includes(GATEWAY_SPEC.servers[0].port.number));
        assert.ok(!targetPorts.includes(8080));
    });

    it("the productpage VirtualService sends the app's paths from the Gateway to productpage http", () => {
        const svc = services.find((s) => s.metadata.name === "productpage");
        const httpPort = svc?.spec.ports.find((p) => p.name === "http")?.port;
        assert.strictEqual(httpPort, 9080);
        assert.deepStrictEqual(productpageVirtualServiceSpec(model.servicePort("productpage")), {
            hosts: ["*"],
            gateways: [gateway.metadata.name],
            http: [
                {
                    match: [
                        { uri: { exact: "/productpage" } },
                        { uri: { prefix: "/static" } },
                        { uri: { exact: "/login" } },
                        { uri: { exact: "/logout" } },
                        { uri: { prefix: "/api/v1/products" } },
                    ],
                    route: [{ destination: { host: "productpage", port: { number: httpPort } } }],
                },
            ],
        });
    });
});

// The Gateway API model: the same options give HTTPRoutes, per-version Services and, for a
// ratings fault, a VirtualService; each is validated and cross-checked like Istio's objects.
const VERSION_SERVICES = orElse(() => versionServices(model, VERSION_LABEL), []) as ServiceObject[];
const NO_GATEWAY_API_PLAN: GatewayApiPlan = { ...NO_PLAN, httpRoutes: [] };
const GATEWAY_API_PLANS = OPTIONS.map((options, i) => ({
    mode: PLANS[i].mode,
    options,
    plan: orElse(
        () => gatewayApiPlan(model.serviceVersions(VERSION_LABEL), 9080, options),
        NO_GATEWAY_API_PLAN,
    ),
}));
const gatewayApiObject = (kind: string, name: string, spec: object, metadata: object = {}) =>
    ({
        apiVersion: GATEWAY_API_VERSION_V1,
        kind,
        metadata: { name, namespace: NAMESPACE, ...metadata },
        spec,
    }) as ManifestObject;
const INGRESS_GATEWAY = ingressGatewaySpec(GATEWAY_HTTP.port, LOAD_BALANCER_ANNOTATIONS.nlb);
const PRODUCTPAGE_ROUTE = productpageHttpRouteSpec(
    GATEWAY_NAME,
    PRODUCTPAGE_SERVICE,
    9080,
    PRODUCTPAGE_ROUTES,
);

describe("Gateway API objects built by code validate", () => {
    before(loadSchemas);

    it("the ingress Gateway, with its load balancer annotations", () =>
        validate(gatewayApiObject("Gateway", GATEWAY_NAME, INGRESS_GATEWAY)));
    it("the ingress Gateway without annotations (NodePort)", () =>
        validate(
            gatewayApiObject("Gateway", GATEWAY_NAME, ingressGatewaySpec(GATEWAY_HTTP.port, {}), {
                annotations: { "networking.istio.io/service-type": "NodePort" },
            }),
        ));
    it("the waypoint Gateway", () =>
        validate(
            gatewayApiObject("Gateway", "waypoint", waypointSpec(), {
                labels: { "istio.io/waypoint-for": "service" },
            }),
        ));
    it("the product page HTTPRoute", () =>
        validate(gatewayApiObject("HTTPRoute", "bookinfo", PRODUCTPAGE_ROUTE)));
    for (const svc of VERSION_SERVICES) {
        it(`the per-version Service ${svc.metadata.name}`, () => validate(svc));
    }

    for (const { mode, plan } of GATEWAY_API_PLANS) {
        describe(`routing mode ${mode}`, () => {
            for (const route of plan.httpRoutes) {
                it(`HTTPRoute ${route.name}`, () =>
                    validate(gatewayApiObject("HTTPRoute", route.name, route.spec)));
            }
            for (const vs of plan.virtualServices) {
                it(`VirtualService ${vs.name}`, () =>
                    validate(istioObject("VirtualService", vs.name, vs.spec)));
            }
        });
    }

    const REJECTED: [string, () => ManifestObject, RegExp][] = [
        [
            "an HTTPRoute whose timeout is an Istio duration with a fraction",
            () =>
                gatewayApiObject("HTTPRoute", "r", {
                    parentRefs: [{ group: "", kind: "Service", name: "reviews", port: 9080 }],
                    rules: [
                        {
                            backendRefs: [{ name: "reviews", port: 9080 }],
                            timeouts: { request: "0.5s" },
                        },
                    ],
                }),
            /spec\/rules\/0\/timeouts\/request must match pattern/,
        ],
        [
            "a Gateway listener without a port",
            () =>
                gatewayApiObject("Gateway", "g", {
                    gatewayClassName: "istio",
                    listeners: [{ name: "http", protocol: "HTTP" }],
                }),
            /spec\/listeners\/0 must have required property port/,
        ],
        [
            "an HTTPRoute backend weight as a string",
            () =>
                gatewayApiObject("HTTPRoute", "r", {
                    rules: [{ backendRefs: [{ name: "reviews-v1", port: 9080, weight: "50" }] }],
                }),
            /spec\/rules\/0\/backendRefs\/0\/weight must be integer/,
        ],
    ];
    for (const [what, obj, message] of REJECTED) {
        it(`rejects ${what}`, () => assert.throws(() => validate(obj()), message));
    }
});

describe("Gateway API cross-checks", () => {
    const allServices = [...services, ...VERSION_SERVICES];
    const serviceNamed = (name: string) => allServices.find((s) => s.metadata.name === name);

    it("each per-version Service selects the pods of exactly its version, on its service's ports", () => {
        assert.deepStrictEqual(names(VERSION_SERVICES), [
            "details-v1",
            "ratings-v1",
            "reviews-v1",
            "reviews-v2",
            "reviews-v3",
            "productpage-v1",
        ]);
        for (const svc of VERSION_SERVICES) {
            assert.deepStrictEqual(names(podsOf(svc.spec.selector)), [svc.metadata.name]);
            const [service] = svc.metadata.name.split("-");
            assert.deepStrictEqual(svc.spec.ports, serviceNamed(service)?.spec.ports);
        }
    });

    const checkRoute = (route: { name: string; spec: HttpRouteSpec }) => {
        for (const parent of route.spec.parentRefs as ServiceParentRef[]) {
            assert.deepStrictEqual([parent.group, parent.kind], ["", "Service"], route.name);
            const svc = serviceNamed(parent.name);
            assert.ok(svc, `${route.name}: parent Service ${parent.name} exists`);
            assert.ok(
                svc.spec.ports.some((p) => p.port === parent.port),
                `${route.name}: parent port`,
            );
        }
        for (const b of route.spec.rules.flatMap((r) => r.backendRefs)) {
            const svc = serviceNamed(b.name);
            assert.ok(svc, `${route.name}: backend Service ${b.name} exists`);
            assert.ok(
                svc.spec.ports.some((p) => p.port === b.port),
                `${route.name}: ${b.name}:${b.port}`,
            );
            const versions = new Set(
                podsOf(svc.spec.selector).map((d) => podLabels(d)[VERSION_LABEL]),
            );
            // A versioned backend reaches one version; the service itself (round-robin) all of them.
            assert.equal(
                versions.size === 1,
                b.name !== route.name,
                `${route.name}: ${b.name} selects ${[...versions]}`,
            );
        }
    };

    for (const { mode, plan } of GATEWAY_API_PLANS) {
        describe(`routing mode ${mode}`, () => {
            it("every parent and backend is a Service that exists, on a port it has; versioned ones select one version", () => {
                assert.ok(plan.httpRoutes.length > 0, "the plan was built");
                for (const route of plan.httpRoutes) {
                    assert.deepStrictEqual(
                        (route.spec.parentRefs as ServiceParentRef[]).map((p) => p.name),
                        [route.name],
                    );
                    checkRoute(route);
                }
                for (const vs of plan.virtualServices) {
                    for (const { destination } of vs.spec.http.flatMap((h) => h.route)) {
                        const svc = serviceNamed(destination.host);
                        assert.ok(svc && podsOf(svc.spec.selector).length === 1, destination.host);
                    }
                }
            });

            it("no service has both an HTTPRoute and a VirtualService (Istio does not support both)", () => {
                const routed = plan.httpRoutes.map((r) => r.name);
                for (const vs of plan.virtualServices) {
                    assert.ok(!routed.includes(vs.name), vs.name);
                }
            });
        });
    }

    it("the product page route's parent is the ingress Gateway, on a listener it has, to productpage http", () => {
        assert.deepStrictEqual(PRODUCTPAGE_ROUTE.parentRefs, [{ name: GATEWAY_NAME }]);
        assert.deepStrictEqual(
            INGRESS_GATEWAY.listeners.map((l) => [l.port, l.protocol]),
            [[80, "HTTP"]],
        );
        // Istio's Service for the Gateway opens the listener's port: the port the URL uses.
        assert.strictEqual(INGRESS_GATEWAY.listeners[0].port, GATEWAY_HTTP.port);
        const [backend] = PRODUCTPAGE_ROUTE.rules[0].backendRefs;
        assert.deepStrictEqual(backend, {
            name: "productpage",
            port: model.servicePort("productpage"),
        });
        assert.deepStrictEqual(
            PRODUCTPAGE_ROUTE.rules[0].matches,
            productpageVirtualServiceSpec(9080).http[0].match.map(({ uri }) =>
                "exact" in uri
                    ? { path: { type: "Exact", value: uri.exact } }
                    : { path: { type: "PathPrefix", value: uri.prefix } },
            ),
        );
    });
});
