/**
 * Loading the desired-state YAML in `manifests/`, and the facts other code reads from it.
 *
 * The Bookinfo manifest is the one source of truth for the app's services, their ports and the
 * versions each runs: routing subsets and the product page route are derived from it, not
 * written a second time.
 */
import * as fs from "fs";
import * as path from "path";
import * as YAML from "yaml";

/**
 * The root of this package: the nearest folder above this file with a `package.json`. That is
 * the repository when run from source, and the installed package (beside its build in `bin/`)
 * when installed from npm, wherever it is installed.
 */
export function packageRoot(from = __dirname): string {
    for (let dir = from; ; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json"))) {
            return dir;
        }
        if (path.dirname(dir) === dir) {
            throw new Error(`no package.json above ${from}`);
        }
    }
}

/** The folder of the project's manifests, shipped in the package beside the build. */
export const MANIFESTS_DIR = path.join(packageRoot(), "manifests");

/** The Bookinfo app: Services, ServiceAccounts and Deployments. */
export const BOOKINFO_MANIFEST = path.join(MANIFESTS_DIR, "bookinfo.yaml");

/** The kinds a manifest may hold, by `apiVersion/kind`: the ones BookinfoApp knows how to create. */
export const SUPPORTED_KINDS = ["v1/Service", "v1/ServiceAccount", "apps/v1/Deployment"] as const;
export type SupportedKind = (typeof SUPPORTED_KINDS)[number];

/** A Kubernetes object as written in a manifest (namespace-less: the component sets it). */
export interface ManifestObject {
    apiVersion: string;
    kind: string;
    metadata: { name: string; labels?: Record<string, string>; [key: string]: unknown };
    [key: string]: unknown;
}

/** `apiVersion/kind` of an object, e.g. `apps/v1/Deployment`. */
export function kindOf(obj: ManifestObject): string {
    return `${obj.apiVersion}/${obj.kind}`;
}

/**
 * Parses a multi-document YAML text into objects, skipping empty documents.
 *
 * @throws Error naming the source and document number on a YAML syntax error, an object without
 *   apiVersion/kind/metadata.name, an object that sets its own namespace, an unsupported kind,
 *   or a duplicate kind/name.
 */
export function parseManifest(text: string, source: string): ManifestObject[] {
    const objects: ManifestObject[] = [];
    const seen = new Set<string>();
    YAML.parseAllDocuments(text).forEach((doc, index) => {
        const where = `${source}, document ${index + 1}`;
        if (doc.errors.length > 0) {
            throw new Error(`${where}: invalid YAML: ${doc.errors[0].message}`);
        }
        const obj = doc.toJS() as unknown;
        if (obj === null || obj === undefined) {
            return;
        }
        if (typeof obj !== "object" || Array.isArray(obj)) {
            throw new Error(`${where}: expected a Kubernetes object (a mapping)`);
        }
        const o = obj as Partial<ManifestObject>;
        if (typeof o.apiVersion !== "string" || typeof o.kind !== "string") {
            throw new Error(`${where}: expected apiVersion and kind`);
        }
        if (typeof o.metadata?.name !== "string" || o.metadata.name === "") {
            throw new Error(`${where}: ${o.kind} has no metadata.name`);
        }
        const full = o as ManifestObject;
        if ("namespace" in full.metadata) {
            throw new Error(
                `${where}: ${o.kind} ${o.metadata.name} sets metadata.namespace; the component sets it`,
            );
        }
        if (!(SUPPORTED_KINDS as readonly string[]).includes(kindOf(full))) {
            throw new Error(
                `${where}: ${kindOf(full)} is not supported; expected one of ${SUPPORTED_KINDS.join(", ")}`,
            );
        }
        const key = `${kindOf(full)}/${full.metadata.name}`;
        if (seen.has(key)) {
            throw new Error(`${where}: duplicate ${o.kind} ${o.metadata.name}`);
        }
        seen.add(key);
        objects.push(full);
    });
    return objects;
}

/** The name errors give a manifest file: its path in the project, wherever the command runs. */
export function sourceName(file: string): string {
    return path.relative(path.join(MANIFESTS_DIR, ".."), file);
}

/** Reads and parses a manifest file. */
export function loadManifest(file: string): ManifestObject[] {
    return parseManifest(fs.readFileSync(file, "utf8"), sourceName(file));
}

interface ServiceObject extends ManifestObject {
    spec: { ports: { name?: string; port: number }[]; selector: Record<string, string> };
}

interface DeploymentObject extends ManifestObject {
    spec: { template: { metadata: { labels: Record<string, string> } } };
}

/** The facts of the Bookinfo app that routing and the gateway route need. */
export class BookinfoModel {
    /**
     * @param objects The app's objects.
     * @param source Where they come from, for error messages.
     */
    constructor(
        public readonly objects: readonly ManifestObject[],
        public readonly source = "the Bookinfo objects",
    ) {}

    /** Loads the project's Bookinfo manifest. */
    static load(file = BOOKINFO_MANIFEST): BookinfoModel {
        return new BookinfoModel(loadManifest(file), sourceName(file));
    }

    /**
     * The app a component's `manifest` argument gives (multi-document YAML), or the project's
     * own manifest when it gives none. @throws Error as {@link parseManifest} does.
     */
    static fromArgument(manifest: string | undefined): BookinfoModel {
        const source = "the manifest argument";
        return manifest === undefined
            ? BookinfoModel.load()
            : new BookinfoModel(parseManifest(manifest, source), source);
    }

    /** Objects of one `apiVersion/kind`. */
    ofKind<T extends ManifestObject = ManifestObject>(kind: SupportedKind): T[] {
        return this.objects.filter((o) => kindOf(o) === kind) as T[];
    }

    /** The port number of a Service's named port. @throws Error when there is none. */
    servicePort(service: string, portName = "http"): number {
        const svc = this.ofKind<ServiceObject>("v1/Service").find(
            (s) => s.metadata.name === service,
        );
        const port = svc?.spec.ports.find((p) => p.name === portName);
        if (port === undefined) {
            throw new Error(`${this.source}: no Service ${service} with a port "${portName}"`);
        }
        return port.port;
    }

    /**
     * Every Service and the versions of the Deployments it selects (by their pod labels), e.g.
     * `{ reviews: ["v1", "v2", "v3"] }`: the subsets routing may use.
     */
    serviceVersions(versionLabel: string): Record<string, string[]> {
        const pods = this.ofKind<DeploymentObject>("apps/v1/Deployment").map(
            (d) => d.spec.template.metadata.labels,
        );
        const result: Record<string, string[]> = {};
        for (const svc of this.ofKind<ServiceObject>("v1/Service")) {
            const selected = pods.filter((labels) =>
                Object.entries(svc.spec.selector).every(([k, v]) => labels[k] === v),
            );
            result[svc.metadata.name] = [
                ...new Set(selected.map((labels) => labels[versionLabel]).filter(Boolean)),
            ].sort();
        }
        return result;
    }
}
