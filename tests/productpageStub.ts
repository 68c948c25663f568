/**
 * A stand-in for Bookinfo's productpage, for testing `npm run verify` without a cluster: pages
 * in the markup of current (Tailwind) and older (Bootstrap glyphicon) images, written from what
 * their templates render, and an HTTP server on 127.0.0.1 that answers `/productpage` by a
 * scripted rule and signs users in at `POST /login` with a session cookie, as the app does.
 */
import * as http from "http";
import { AddressInfo } from "net";

/** What a page shows in place of the reviews. */
export type ReviewsShown =
    | "v1"
    | "v2"
    | "v3"
    | "ratings-unavailable"
    | "reviews-unavailable"
    | "mixed-stars"
    | "no-reviews";

/** The two generations of the productpage template. */
export type PageStyle = "tailwind" | "glyphicon";

/** The options of one page. */
export interface PageOptions {
    readonly style?: PageStyle;
    /** The signed-in user, if any. */
    readonly user?: string;
    /** The details service failed too (its message is red, like the ratings one). */
    readonly detailsError?: boolean;
}

const REVIEWS = [
    { reviewer: "Reviewer1", text: "An extremely entertaining play by Shakespeare.", stars: 5 },
    { reviewer: "Reviewer2", text: "Absolutely fun and entertaining.", stars: 4 },
];

type Rating = { colour: string; stars: number } | "unavailable" | undefined;

function ratingOf(shown: ReviewsShown, index: number): Rating {
    switch (shown) {
        case "v2":
            return { colour: "black", stars: REVIEWS[index].stars };
        case "v3":
            return { colour: "red", stars: REVIEWS[index].stars };
        case "mixed-stars":
            return { colour: index === 0 ? "black" : "red", stars: REVIEWS[index].stars };
        case "ratings-unavailable":
            return "unavailable";
        default:
            return undefined;
    }
}

function tailwindPage(shown: ReviewsShown, options: PageOptions): string {
    const star = (full: boolean) =>
        `<svg class="h-5 w-5 flex-none" viewBox="0 0 20 20" fill="${full ? "currentColor" : "none"}" ` +
        `aria-hidden="true"><path d="M10 2l2 5h5l-4 3 2 5-5-3-5 3 2-5-4-3h5z"/></svg>`;
    const rating = (r: Rating) =>
        r === undefined
            ? ""
            : r === "unavailable"
              ? `<p class="text-red-500">Ratings service is currently unavailable</p>`
              : `<div class="flex gap-x-1 text-${r.colour}-500">\n` +
                `${Array.from({ length: 5 }, (_, i) => star(i < r.stars)).join("\n")}\n</div>`;
    const signIn = options.user
        ? `<p class="text-base font-medium text-gray-50">${options.user}</p>\n` +
          `<a href="logout" class="text-xs font-medium text-gray-400">Sign out</a>`
        : `<button type="button" id="sign-in-button" class="rounded-md bg-blue-600">Sign in</button>`;
    const details = options.detailsError
        ? `<p class="text-2xl text-red-500">Error fetching product details</p>`
        : `<h4 class="text-3xl font-semibold">Book Details</h4>\n<table><tr><td>1234567890</td></tr></table>`;
    const reviews =
        shown === "reviews-unavailable"
            ? `<p class="text-2xl text-red-500">Error fetching product reviews</p>\n` +
              `<p class="text-lg text-gray-600">Sorry, product reviews are currently unavailable.</p>`
            : `<h4 class="text-3xl font-semibold">Book Reviews</h4>\n<div class="flex flex-col">\n` +
              REVIEWS.map(
                  (r, i) =>
                      `<section class="px-6 py-12"><div class="mx-auto max-w-2xl">\n` +
                      `${rating(ratingOf(shown, i))}\n` +
                      `<blockquote class="mt-10 text-xl"><p>"${r.text}"</p></blockquote>\n` +
                      `<div class="font-semibold text-gray-900">${r.reviewer}</div>\n` +
                      `</div></section>`,
              ).join("\n") +
              `\n</div>`;
    return `<title>Simple Bookstore App</title>
<nav class="bg-gray-800"><div class="flex items-center">${signIn}</div></nav>
<dialog id="dialog"><div class="sm:mx-auto sm:w-full sm:max-w-sm">
<svg class="mx-auto h-24 w-auto" viewBox="0 0 320 320"><polygon points="80 250 240 250 140 280"/></svg>
</div><form method="post" action="login"><input name="username"><input name="passwd" type="password"></form></dialog>
<div class="container mt-8"><h1 class="text-5xl font-bold">The Comedy of Errors</h1></div>
<div class="container mt-8">${details}</div>
<div class="bg-blue-600/5 py-12 mx-auto"><div class="max-w-2xl">
${shown === "no-reviews" ? "" : reviews}
</div></div>
`;
}

function glyphiconPage(shown: ReviewsShown, options: PageOptions): string {
    const rating = (r: Rating) =>
        r === undefined
            ? ""
            : r === "unavailable"
              ? `<p><i>Ratings service is currently unavailable</i></p>`
              : `<font color="${r.colour}">\n<!-- full stars: -->\n` +
                `${'<span class="glyphicon glyphicon-star"></span>\n'.repeat(r.stars)}` +
                `<!-- empty stars: -->\n` +
                `${'<span class="glyphicon glyphicon-star-empty"></span>\n'.repeat(5 - r.stars)}</font>`;
    const signIn = options.user
        ? `<p class="navbar-text navbar-right"><i class="glyphicon glyphicon-user"></i>` +
          `<span>${options.user} ( <a href="logout">sign out</a> )</span></p>`
        : `<button type="button" class="btn btn-default navbar-btn navbar-right">Sign in</button>`;
    const details = options.detailsError
        ? `<h4 class="text-center text-primary">Error fetching product details!</h4>`
        : `<h4 class="text-center text-primary">Book Details</h4><dl><dt>Pages:</dt>200</dl>`;
    const reviews =
        shown === "reviews-unavailable"
            ? `<h4 class="text-center text-primary">Error fetching product reviews!</h4>\n` +
              `<p>Sorry, product reviews are currently unavailable for this book.</p>`
            : `<h4 class="text-center text-primary">Book Reviews</h4>\n` +
              REVIEWS.map(
                  (r, i) =>
                      `<blockquote>\n<p>${r.text}</p>\n<small>${r.reviewer}</small>\n` +
                      `${rating(ratingOf(shown, i))}\n</blockquote>`,
              ).join("\n");
    return `<title>Simple Bookstore App</title>
<nav class="navbar navbar-inverse navbar-static-top"><div class="container">
<a class="navbar-brand" href="#">BookInfo Sample</a>
${signIn}
</div></nav>
<div class="container-fluid">
<div class="row"><div class="col-md-12"><h3 class="text-center text-primary">The Comedy of Errors</h3></div></div>
<div class="row">
<div class="col-md-6">${details}</div>
<div class="col-md-6">
${shown === "no-reviews" ? "" : reviews}
</div>
</div>
</div>
`;
}

/** A product page showing `shown` in place of the reviews. */
export function productPage(shown: ReviewsShown, options: PageOptions = {}): string {
    return options.style === "glyphicon"
        ? glyphiconPage(shown, options)
        : tailwindPage(shown, options);
}

/** How the stub answers one request for the product page. */
export type Answer =
    | ReviewsShown
    | { readonly status: number }
    /** Waits before answering (the client may give up first). */
    | { readonly delayMs: number; readonly then: Answer }
    /** Closes the connection without an answer, as a load balancer dropping it would. */
    | { readonly drop: true };

/** What the stub knows about a request for the product page. */
export interface PageRequest {
    /** 0 for the first product page the stub serves, and so on. */
    readonly index: number;
    /** The user signed in by the request's session cookie, if any. */
    readonly user?: string;
}

/** Decides each answer. */
export type Rule = (request: PageRequest) => Answer;

/** Anonymous readers get one answer, signed-in users another. */
export function byUser(anonymous: Answer, signedIn: Answer): Rule {
    return ({ user }) => (user === undefined ? anonymous : signedIn);
}

/**
 * Answers drawn at random with the given weights, from a seeded generator (mulberry32), so a
 * test sees a realistic mix and the same one on every run.
 */
export function randomMix(weights: Partial<Record<ReviewsShown, number>>, seed = 1): Rule {
    let state = seed >>> 0;
    const next = () => {
        state = (state + 0x6d2b79f5) >>> 0;
        let t = state;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const entries = Object.entries(weights) as [ReviewsShown, number][];
    const total = entries.reduce((sum, [, w]) => sum + w, 0);
    return () => {
        let r = next() * total;
        for (const [shown, w] of entries) {
            r -= w;
            if (r < 0) {
                return shown;
            }
        }
        return entries[entries.length - 1][0];
    };
}

/** One sign-in the stub saw. */
export interface Login {
    readonly form: Record<string, string>;
    readonly referer?: string;
}

/** The running stub. */
export class ProductpageStub {
    /** The product page's address (http://127.0.0.1:<port>/productpage). */
    public url = "";
    /** Every POST /login, in order. */
    public readonly logins: Login[] = [];
    /** Product pages served so far. */
    public pages = 0;
    /** Set to make /login fail with this status. */
    public loginStatus?: number;
    private readonly sessions = new Map<string, string>();
    private readonly server: http.Server;

    private constructor(
        private rule: Rule,
        private readonly style: PageStyle,
    ) {
        this.server = http.createServer((req, res) => this.handle(req, res));
    }

    /** Starts a stub on a free port of 127.0.0.1. */
    static async start(rule: Rule, style: PageStyle = "tailwind"): Promise<ProductpageStub> {
        const stub = new ProductpageStub(rule, style);
        await new Promise<void>((resolve) => stub.server.listen(0, "127.0.0.1", resolve));
        const { port } = stub.server.address() as AddressInfo;
        stub.url = `http://127.0.0.1:${port}/productpage`;
        return stub;
    }

    /** Answers by another rule from now on (a routing change). */
    setRule(rule: Rule): void {
        this.rule = rule;
    }

    /** Stops the server and drops its connections. */
    async close(): Promise<void> {
        this.server.closeAllConnections();
        await new Promise((resolve) => this.server.close(resolve));
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        if (req.method === "POST" && url.pathname === "/login") {
            let body = "";
            req.on("data", (chunk: Buffer) => (body += chunk.toString()));
            req.on("end", () => this.login(req, res, body));
        } else if (req.method === "GET" && url.pathname === "/productpage") {
            const cookie = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? "");
            const user = cookie === null ? undefined : this.sessions.get(cookie[1]);
            this.answer(res, this.rule({ index: this.pages++, user }), user);
        } else {
            res.writeHead(404).end("not found");
        }
    }

    private login(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
        const form = Object.fromEntries(new URLSearchParams(body));
        const referer = req.headers.referer;
        this.logins.push({ form, referer });
        if (this.loginStatus !== undefined) {
            res.writeHead(this.loginStatus).end();
            return;
        }
        // The app redirects back to where the form was; without a Referer it has nowhere to go.
        if (!form.username || referer === undefined) {
            res.writeHead(400).end("username and Referer required");
            return;
        }
        const token = `s${this.sessions.size + 1}`;
        this.sessions.set(token, form.username);
        res.writeHead(302, {
            location: referer,
            "set-cookie": [`session=${token}; HttpOnly; Path=/`, "seen=1; Path=/"],
        }).end();
    }

    private answer(res: http.ServerResponse, answer: Answer, user: string | undefined): void {
        if (typeof answer === "string") {
            res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(
                productPage(answer, { style: this.style, user }),
            );
        } else if ("status" in answer) {
            res.writeHead(answer.status).end("upstream connect error");
        } else if ("drop" in answer) {
            res.socket?.destroy();
        } else {
            const timer = setTimeout(() => this.answer(res, answer.then, user), answer.delayMs);
            res.on("close", () => clearTimeout(timer));
        }
    }
}
