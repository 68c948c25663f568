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
            this.queries.push(url.searchParams.get("query") ?? "");
            const answer =
                this.answer?.(this.queries.length - 1) ?? vectorAnswer({ ...this.counters });
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

    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise((resolve) => this.server.close(resolve));
    }
}
