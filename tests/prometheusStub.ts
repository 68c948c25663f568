/**
 * A stand-in for Prometheus's HTTP API on 127.0.0.1, for testing `npm run verify --
 * --prometheus`: `/api/v1/query` answers with counters of reviews requests by version, as the
 * sidecars' metrics would give them, or with whatever answer a test sets.
 */
import * as http from "http";
import { AddressInfo } from "net";

import { Rule } from "./productpageStub";

/** An HTTP answer of the stand-in. */
export interface StubAnswer {
    readonly status: number;
    readonly body: string;
}

/** Prometheus's answer holding an instant vector of counters by destination_version. */
export function vectorAnswer(counters: Record<string, number>): StubAnswer {
    return {
        status: 200,
        body: JSON.stringify({
            status: "success",
            data: {
                resultType: "vector",
                result: Object.entries(counters).map(([version, n]) => ({
                    metric: { destination_version: version },
                    value: [1764500000.123, String(n)],
                })),
            },
        }),
    };
}

/** The running stand-in. */
export class PrometheusStub {
    /** The server's root (http://127.0.0.1:<port>). */
    public url = "";
    /** The reviews requests "recorded" so far, by version. */
    public readonly counters: Record<string, number> = {};
    /**
     * The `reporter` label the counters carry: a query that does not select it (by `=` or by a
     * `=~` alternative) gets an empty vector, as from a mesh whose proxies report otherwise.
     */
    public reporter = "destination";
    /** The `query` parameter of every request to /api/v1/query, in order. */
    public readonly queries: string[] = [];
    /** Answers instead of the counters, when set: the n-th query gets answer(n). */
    public answer?: (n: number) => StubAnswer;
    private readonly server: http.Server;

    private constructor() {
        this.server = http.createServer((req, res) => {
            const url = new URL(req.url ?? "/", "http://127.0.0.1");
            if (url.pathname !== "/api/v1/query") {
                res.writeHead(404).end("404 page not found");
                return;
            }
            const query = url.searchParams.get("query") ?? "";
            this.queries.push(query);
            const answer =
                this.answer?.(this.queries.length - 1) ??
                vectorAnswer(this.selects(query) ? { ...this.counters } : {});
            res.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
        });
    }

    static async start(): Promise<PrometheusStub> {
        const stub = new PrometheusStub();
        await new Promise<void>((resolve) => stub.server.listen(0, "127.0.0.1", resolve));
        stub.url = `http://127.0.0.1:${(stub.server.address() as AddressInfo).port}`;
        return stub;
    }

    /**
     * A product page rule that also counts each version it serves, as the reviews pods'
     * sidecars would: the mesh agrees with the pages.
     */
    counting(rule: Rule): Rule {
        return (request) => {
            const answer = rule(request);
            if (typeof answer === "string" && /^v\d+$/.test(answer)) {
                this.counters[answer] = (this.counters[answer] ?? 0) + 1;
            }
            return answer;
        };
    }

    /** Whether a query's reporter matcher takes {@link reporter}. */
    private selects(query: string): boolean {
        const m = /reporter(=~?)"([^"]*)"/.exec(query);
        return (
            m !== null &&
            (m[1] === "=" ? m[2] === this.reporter : m[2].split("|").includes(this.reporter))
        );
    }

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise((resolve) => this.server.close(resolve));
    }
}
