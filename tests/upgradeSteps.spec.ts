/**
 * The blast radius of each `pulumi up` of an Istio upgrade, for the whole program: what each
 * step creates, updates and deletes (by the inputs the engine would diff), and the dependencies
 * that order it. The plan behind each step is specified in upgradePlan.spec.ts; the resources
 * of each component in istioMesh.spec.ts and bookinfoApp.spec.ts.
 */
import * as assert from "assert/strict";

import { loadProgram, Registered, Run, runPulumi } from "./harness";

type Outputs = ReturnType<typeof loadProgram>;

/** A non-default traffic model, so every routing object is there to stay unchanged. */
const TRAFFIC = { routing: "jason-v2", ratingsFault: "delay", mtls: "strict" };

const STEPS = {
    installed: {},
    canaryInstalled: { istioCanaryVersion: "1.31.1" },
    appOnCanary: { istioCanaryVersion: "1.31.1", dataplaneRevision: "canary" },
    promoted: { istioVersion: "1.31.1", istioRevision: "1-31-1", dataplaneRevision: "canary" },
    promotedFromStable: { istioVersion: "1.31.1", istioRevision: "1-31-1" },
    olderPatch: { istioVersion: "1.30.4" },
} as const;
type Step = keyof typeof STEPS;

const runs = new Map<Step, Promise<Run<Outputs>>>();
function deployed(step: Step): Promise<Run<Outputs>> {
    if (!runs.has(step)) {
        runs.set(
            step,
            runPulumi(loadProgram, { "aws:region": "us-west-2", ...TRAFFIC, ...STEPS[step] }),
        );
    }
    return runs.get(step)!;
}

function byName(run: Run<Outputs>): Map<string, Registered> {
    return new Map(run.resources.map((r) => [r.name, r]));
}

/** What `pulumi up` from one step to the next creates, updates (inputs differ) and deletes. */
async function blastRadius(from: Step, to: Step) {
    const before = byName(await deployed(from));
    const after = byName(await deployed(to));
    const differs = (a: Registered, b: Registered) => {
        try {
            assert.deepEqual([b.type, b.inputs], [a.type, a.inputs]);
            return false;
        } catch {
            return true;
        }
    };
    return {
        created: [...after.keys()].filter((n) => !before.has(n)).sort(),
        updated: [...after.keys()]
            .filter((n) => before.has(n) && differs(before.get(n)!, after.get(n)!))
            .sort(),
        deleted: [...before.keys()].filter((n) => !after.has(n)).sort(),
    };
}

const DEPLOYMENTS = [
    "details-v1",
    "productpage-v1",
    "ratings-v1",
    "reviews-v1",
    "reviews-v2",
    "reviews-v3",
].map((d) => `bookinfo-deployment-${d}`);
const TAGS = [
    "istio-tag-canary",
    "istio-tag-canary-service",
    "istio-tag-stable",
    "istio-tag-stable-service",
];

describe("upgrading Istio, one pulumi up at a time", () => {
    it("in place (istioVersion 1.30.4 -> 1.30.5): base, istiod and gateway upgraded, every workload rolled, nothing replaced", async () => {
        assert.deepEqual(await blastRadius("olderPatch", "installed"), {
            created: [],
            // Grafana loads the dashboards of Istio's release: they follow istioVersion.
            updated: [
                ...DEPLOYMENTS,
                "istio-base",
                "istio-gateway",
                "istio-istiod",
                "observability-grafana",
            ].sort(),
            deleted: [],
        });
        const run = await deployed("installed");
        for (const d of DEPLOYMENTS) {
            assert.deepEqual(run.named(d).inputs.spec.template.metadata.annotations, {
                "istio-eks/proxy-version": "1.30.5",
                "istio-eks/control-plane": "default",
            });
        }
    });

    it("install the canary: a second istiod and the tags; base and the namespace label updated; no workload touched", async () => {
        assert.deepEqual(await blastRadius("installed", "canaryInstalled"), {
            created: ["istio-istiod-1-31-1", ...TAGS].sort(),
            updated: ["bookinfo-ns", "istio-base"],
            deleted: [],
        });
        const run = await deployed("canaryInstalled");
        assert.deepEqual(run.named("bookinfo-ns").inputs.metadata.labels, {
            "istio.io/rev": "stable",
        });
        // CRDs first; the namespace's new label only once the tag it names exists.
        assert.deepEqual(run.dependencyNames(run.named("istio-istiod-1-31-1")), [
            "istio-base",
            "istio-system",
        ]);
        assert.deepEqual(run.dependencyNames(run.named("bookinfo-ns")), [
            "istio-base",
            "istio-istiod",
            "istio-tag-stable",
            "istio-tag-stable-service",
        ]);
    });

    it("move the app to canary: the namespace label, every Deployment and the gateway roll; nothing else", async () => {
        assert.deepEqual(await blastRadius("canaryInstalled", "appOnCanary"), {
            created: [],
            updated: ["bookinfo-ns", ...DEPLOYMENTS, "istio-gateway"].sort(),
            deleted: [],
        });
        const run = await deployed("appOnCanary");
        assert.deepEqual(run.dependencyNames(run.named("bookinfo-ns")), [
            "istio-base",
            "istio-istiod-1-31-1",
            "istio-tag-canary",
            "istio-tag-canary-service",
        ]);
        for (const d of DEPLOYMENTS) {
            assert.deepEqual(run.dependencyNames(run.named(d)), ["bookinfo-ns"]);
        }
    });

    it("roll back, and move again: the same resources, back and forth", async () => {
        const move = await blastRadius("canaryInstalled", "appOnCanary");
        assert.deepEqual(await blastRadius("appOnCanary", "canaryInstalled"), move);
        const back = byName(await deployed("canaryInstalled"));
        const installed = byName(await deployed("installed"));
        // After a rollback every workload and the gateway are as before the canary existed.
        for (const name of [...DEPLOYMENTS, "istio-gateway", "istio-istiod"]) {
            assert.deepEqual(back.get(name)!.inputs, installed.get(name)!.inputs, name);
        }
    });

    it("promote (app on canary): the stable tag moves and validation with it, then the old control plane goes", async () => {
        assert.deepEqual(await blastRadius("appOnCanary", "promoted"), {
            created: [],
            updated: [
                "istio-base",
                "istio-tag-stable",
                "istio-tag-stable-service",
                "observability-grafana",
            ],
            deleted: ["istio-istiod"],
        });
        // Nothing waits for the old control plane, so the engine deletes it last.
        const run = await deployed("promoted");
        for (const r of run.resources) {
            assert.ok(!run.dependencyNames(r).includes("istio-istiod"), r.name);
        }
        assert.deepEqual(run.dependencyNames(run.named("istio-tag-stable")), [
            "istio-istiod-1-31-1",
        ]);
    });

    it("promote (app still on stable): the tag moves, the workloads and gateway roll onto it, the old control plane goes", async () => {
        assert.deepEqual(await blastRadius("canaryInstalled", "promotedFromStable"), {
            created: [],
            updated: [
                ...DEPLOYMENTS,
                "istio-base",
                "istio-gateway",
                "istio-tag-stable",
                "istio-tag-stable-service",
                "observability-grafana",
            ].sort(),
            deleted: ["istio-istiod"],
        });
        const run = await deployed("promotedFromStable");
        // Each Deployment rolls after its namespace, which waits for the moved tag.
        assert.deepEqual(run.dependencyNames(run.named("bookinfo-ns")), [
            "istio-base",
            "istio-istiod-1-31-1",
            "istio-tag-stable",
            "istio-tag-stable-service",
        ]);
        assert.equal(run.named("istio-gateway").inputs.values.revision, "stable");
    });

    it("on a cluster you already have: the same control planes, tags, labels and roll-outs", async () => {
        const existing = await runPulumi(loadProgram, {
            cluster: "existing",
            "kubernetes:context": "kind-istio-lab",
            ...TRAFFIC,
            ...STEPS.appOnCanary,
        });
        const onEks = byName(await deployed("appOnCanary"));
        for (const r of existing.resources.filter((r) => r.type.startsWith("kubernetes:"))) {
            const expected = structuredClone(onEks.get(r.name)!.inputs);
            if (r.name === "istio-gateway") {
                expected.values.service.annotations = {};
            }
            assert.deepEqual(r.inputs, expected, r.name);
        }
        assert.ok(existing.has("istio-istiod-1-31-1") && existing.has("istio-tag-canary"));
    });

    it("never changes a routing object, at any step", async () => {
        const installed = await deployed("installed");
        const routing = installed.resources.filter((r) => r.name.startsWith("routing-"));
        assert.ok(routing.length >= 9, routing.map((r) => r.name).join(", "));
        for (const step of Object.keys(STEPS) as Step[]) {
            const run = byName(await deployed(step));
            for (const r of routing) {
                assert.deepEqual(run.get(r.name)?.inputs, r.inputs, `${step}: ${r.name}`);
            }
        }
    });
});
