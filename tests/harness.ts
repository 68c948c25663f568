/**
 * Runs Pulumi code under the SDK's mocks and records every resource it registers: type, name,
 * parent, provider, dependencies (as URNs on the wire) and inputs, so tests can assert exactly
 * what a real `pulumi up` would send to the engine.
 */
import * as path from "path";

import * as pulumi from "@pulumi/pulumi";

export const PROJECT = "istio-eks";
export const STACK = "dev";

/** Outputs the mocks give remote components and read resources, which a test may inspect. */
export const MOCK = {
    clusterName: "dev-eks-eksCluster-1a2b3c4",
    clusterSecurityGroupId: "sg-0cluster0000000001",
    kubeconfigJson: JSON.stringify({ apiVersion: "v1", kind: "Config", clusters: [] }),
    ingressHostname: "a1b2c3-123456789.elb.us-west-2.amazonaws.com",
    zones: ["us-west-2a", "us-west-2b", "us-west-2c"],
    partition: { partition: "aws", dnsSuffix: "amazonaws.com", id: "aws" },
    vpcId: "vpc-0123456789abcdef0",
    /** The annotations of Gateway API CRDs a cluster already has (a test may change them). */
    gatewayApiCrdAnnotations: {
        "gateway.networking.k8s.io/bundle-version": "v1.5.1",
        "gateway.networking.k8s.io/channel": "standard",
    } as Record<string, string>,
};

/** One resource as the engine would have seen it. */
export interface Registered {
    urn: string;
    type: string;
    name: string;
    /** URN of the parent resource ("" for the stack's direct children). */
    parent: string;
    /** Provider reference "<urn>::<id>", or "" for the default provider. */
    provider: string;
    /** For components: the providers they were given, by package ("<urn>::<id>" each). */
    providers: Record<string, string>;
    /** URNs this resource depends on: dependsOn and inputs' resources. */
    dependencies: string[];
    custom: boolean;
    /** True for a `Resource.get` read of an existing object. */
    read: boolean;
    /** For reads: the ID read. */
    id?: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    inputs: any;
    options?: Options;
}

/** What a run saw. */
export class Run<T> {
    constructor(
        public readonly resources: Registered[],
        public readonly result: T,
        public readonly invokes: Invoked[] = [],
        /** Messages of the errors that failed registrations (the deploy's errors), each once. */
        public readonly errors: string[] = [],
    ) {}

    /** The inputs of every call of the function `token`, in order. */
    invoked(token: string): unknown[] {
        return this.invokes.filter((i) => i.token === token).map((i) => i.inputs);
    }

    /** All resources of a type token, e.g. `kubernetes:core/v1:Service`. */
    ofType(type: string): Registered[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The one resource with this logical name. */
    named(name: string): Registered {
        const found = this.resources.filter((r) => r.name === name);
        if (found.length !== 1) {
            throw new Error(
                `expected one resource named ${name}, found ${found.length}; names: ${this.resources
                    .map((r) => r.name)
                    .join(", ")}`,
            );
        }
        return found[0];
    }

    /** Whether a resource of this name was registered. */
    has(name: string): boolean {
        return this.resources.some((r) => r.name === name);
    }

    /** Logical names of the resources `r` depends on. */
    dependencyNames(r: Registered): string[] {
        return r.dependencies.map(nameOfUrn).sort();
    }

    /** The logical names of the providers a component was given, by package. */
    providerNames(r: Registered): Record<string, string> {
        return Object.fromEntries(
            Object.entries(r.providers).map(([pkg, ref]) => [
                pkg,
                nameOfUrn(ref.split("::").slice(0, -1).join("::")),
            ]),
        );
    }

    /** The logical name of the provider `r` uses ("" for a default provider). */
    providerName(r: Registered): string {
        return r.provider === "" ? "" : nameOfUrn(r.provider.split("::").slice(0, -1).join("::"));
    }
}

/** The logical name in a URN (`urn:pulumi:stack::project::type::name`). */
export function nameOfUrn(urn: string): string {
    return urn.split("::").pop() ?? urn;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Inputs = Record<string, any>;

/** What a mocked function call (an invoke such as `aws.getPartition`) answers, by token. */
export type Invokes = Record<string, (inputs: Inputs) => Inputs>;

/** The answers of the invokes the program makes; a run may replace some. */
const INVOKES: Invokes = {
    "aws:index/getAvailabilityZones:getAvailabilityZones": () => ({
        names: MOCK.zones,
        zoneIds: MOCK.zones.map((_, i) => `usw2-az${i + 1}`),
    }),
    "aws:index/getPartition:getPartition": () => MOCK.partition,
    // Any subnet is in MOCK.vpcId, gives public IPs, and is in zone a or b by its last hex digit.
    "aws:ec2/getSubnet:getSubnet": ({ id }) => {
        const i = parseInt(id.slice(-1), 16) % 2;
        return {
            id,
            vpcId: MOCK.vpcId,
            availabilityZone: MOCK.zones[i],
            availabilityZoneId: `usw2-az${i + 1}`,
            mapPublicIpOnLaunch: true,
        };
    },
};

/** One function call as the engine would have seen it. */
export interface Invoked {
    token: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    inputs: any;
}

/** Resource options the engine acts on besides dependencies (not recorded for reads). */
export interface Options {
    replaceOnChanges: string[];
    deleteBeforeReplace: boolean;
    /** "" where not set. */
    customTimeouts: { create: string; update: string; delete: string };
}

/** What the mocks answer for each resource: its inputs, plus the outputs providers compute. */
function mockOutputs(type: string, name: string, inputs: Inputs, id: string | undefined): Inputs {
    switch (type) {
        case "eks:index:Cluster":
            return {
                kubeconfigJson: MOCK.kubeconfigJson,
                eksCluster: { name: MOCK.clusterName, version: inputs.version },
                clusterSecurityGroupId: MOCK.clusterSecurityGroupId,
            };
        case "kubernetes:helm.sh/v3:Release":
            return {
                status: {
                    name: inputs.name,
                    namespace: inputs.namespace,
                    chart: inputs.chart,
                    version: inputs.version,
                    status: "deployed",
                },
            };
        case "kubernetes:core/v1:Service":
            if (id) {
                const [namespace, svcName] = id.split("/");
                return {
                    metadata: { name: svcName, namespace },
                    status: { loadBalancer: { ingress: [{ hostname: MOCK.ingressHostname }] } },
                };
            }
            return {};
        case "kubernetes:gateway.networking.k8s.io/v1:Gateway":
            // What Istio reports once it has deployed the gateway and its load balancer.
            return {
                status: {
                    addresses: [{ type: "Hostname", value: MOCK.ingressHostname }],
                    conditions: [{ type: "Programmed", status: "True" }],
                },
            };
        case "kubernetes:apiextensions.k8s.io/v1:CustomResourceDefinition":
            return id ? { metadata: { name: id, annotations: MOCK.gatewayApiCrdAnnotations } } : {};
        case "aws:ec2/launchTemplate:LaunchTemplate":
            return { latestVersion: 1 };
        case "aws:ec2/keyPair:KeyPair":
            return { keyName: `${name}-key` };
        case "aws:iam/role:Role":
            return { name: `${name}-role`, arn: `arn:aws:iam::123456789012:role/${name}` };
        default:
            return {};
    }
}

/**
 * Inputs with every resource reference (a resource passed as an input, rehydrated as a new
 * object on each run) replaced by `{ resource: "<type>::<name>" }`, so runs compare by value.
 */
function referencesByName(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(referencesByName);
    }
    if (value !== null && typeof value === "object") {
        if (pulumi.Resource.isInstance(value)) {
            // eslint-disable-next-line @typescript-eslint/no-explicit-any
            const r = value as any;
            return { resource: `${r.__pulumiType}::${r.__name}` };
        }
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, referencesByName(v)]));
    }
    return value;
}

const ROOT = path.resolve(__dirname, "..");

/**
 * Forgets the project's modules that run code when loaded (the program, the tests' own
 * helpers), so the next `require` runs the program afresh. lib/ and components/ only define
 * functions and classes, so they stay loaded: re-compiling them for every run would only cost time.
 */
function clearProjectModules(): void {
    const stateless = [path.join(ROOT, "lib") + path.sep, path.join(ROOT, "components") + path.sep];
    for (const key of Object.keys(require.cache)) {
        if (
            key.startsWith(ROOT) &&
            !key.includes(`${path.sep}node_modules${path.sep}`) &&
            !stateless.some((dir) => key.startsWith(dir))
        ) {
            delete require.cache[key];
        }
    }
}

/**
 * Runs `program` under fresh mocks with the given stack settings (keys without the project
 * prefix; `aws:region` and other namespaced keys as they are), waits until every registration
 * has reached the mock engine, and returns what was registered. `invokes` replaces the answers
 * of some functions for this run.
 */
export async function runPulumi<T>(
    program: () => T,
    config: Record<string, string> = {},
    invokes: Invokes = {},
): Promise<Run<T>> {
    const resources: Registered[] = [];
    const invoked: Invoked[] = [];
    const answers = { ...INVOKES, ...invokes };
    await pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                const id = args.id || `${args.name}-id`;
                return {
                    id,
                    state: {
                        ...args.inputs,
                        ...mockOutputs(args.type, args.name, args.inputs, args.id),
                    },
                };
            },
            call: (args) => {
                invoked.push({ token: args.token, inputs: args.inputs });
                return answers[args.token]?.(args.inputs) ?? {};
            },
        },
        PROJECT,
        STACK,
        false,
    );
    const settings: Record<string, string> = {};
    for (const [key, value] of Object.entries(config)) {
        settings[key.includes(":") ? key : `${PROJECT}:${key}`] = value;
    }
    pulumi.runtime.setAllConfig(settings);

    // Record what each registration request carries besides the inputs the mocks see.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const monitor = pulumi.runtime.getMonitor() as any;
    const record =
        (read: boolean, original: (req: unknown, cb: unknown) => unknown) =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        (req: any, callback: any) => {
            const parent: string = req.getParent();
            const type: string = req.getType();
            const name: string = req.getName();
            resources.push({
                urn: monitor.newUrn(parent, type, name),
                type,
                name,
                parent,
                provider: req.getProvider(),
                providers: read ? {} : Object.fromEntries(req.getProvidersMap().toArray()),
                dependencies: req.getDependenciesList(),
                custom: read ? true : req.getCustom(),
                read,
                id: read ? req.getId() : undefined,
                inputs: referencesByName(
                    pulumi.runtime.deserializeProperties(
                        read ? req.getProperties() : req.getObject(),
                    ),
                ),
                options: read ? undefined : recordedOptions(req),
            });
            return original(req, callback);
        };
    monitor.registerResource = record(false, monitor.registerResource.bind(monitor));
    monitor.readResource = record(true, monitor.readResource.bind(monitor));

    // A registration that fails (an input or dependsOn that rejects) surfaces as an unhandled
    // rejection, which ends a real deploy there and then: record it, and stop waiting (what
    // depended on the failed resource would wait for ever).
    const errors: string[] = [];
    let failed: () => void;
    const failure = new Promise<void>((resolve) => (failed = resolve));
    const onRejection = (reason: unknown) => {
        const message = reason instanceof Error ? reason.message : String(reason);
        if (!errors.includes(message)) {
            errors.push(message);
        }
        failed();
    };
    process.on("unhandledRejection", onRejection);
    try {
        clearProjectModules();
        const result = program();
        // eslint-disable-next-line @typescript-eslint/no-explicit-any
        await Promise.race([(pulumi.runtime as any).waitForRPCs(), failure]);
        await new Promise((resolve) => setImmediate(resolve));
        return new Run(resources, result, invoked, errors);
    } finally {
        process.off("unhandledRejection", onRejection);
    }
}

/** The options of a registration request that the engine acts on at update and delete time. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function recordedOptions(req: any): Options {
    const timeouts = req.getCustomtimeouts();
    return {
        replaceOnChanges: req.getReplaceonchangesList(),
        deleteBeforeReplace: req.getDeletebeforereplace(),
        customTimeouts: {
            create: timeouts?.getCreate() ?? "",
            update: timeouts?.getUpdate() ?? "",
            delete: timeouts?.getDelete() ?? "",
        },
    };
}

/** Loads the project's program (`index.ts`) afresh and returns its stack outputs. */
export function loadProgram(): Record<string, pulumi.Output<unknown>> {
    clearProjectModules();
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(path.join(ROOT, "index"));
}

/** The value of an Output (resolves under mocks; undefined while unknown). */
export function valueOf<T>(output: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
    return new Promise((resolve) => pulumi.output(output).apply(resolve));
}
