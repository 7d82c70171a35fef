/**
 * The REST layer of the MaxCompute client: the v2 signature, error bodies and their retry
 * classification, and the REST and SQL-instance calls against a tiny in-test HTTP server
 * (not the MaxCompute fixture of test/harness: just the routes these tests need).
 */
import { createHmac } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { classifyFailure } from "../../provider/engine/retry";
import {
    authorization, canonicalResource, canonicalString, httpDate, parseAuthorization, signableFromTarget, signCanonical,
    type SignableRequest,
} from "../../provider/connectors/maxcompute/signer";
import {
    errorFromResponse, isRetryable, maxComputeErrorClass, MaxComputeClientError, MaxComputeConnectionError, MaxComputeError,
    MaxComputeSqlError, MaxComputeSqlTimeoutError, parseErrorBody,
} from "../../provider/connectors/maxcompute/errors";
import { MaxComputeRest } from "../../provider/connectors/maxcompute/rest";
import { runSql, sqlJobXml } from "../../provider/connectors/maxcompute/sql";
import { xmlText } from "../../provider/connectors/maxcompute/xml";

const AK = { id: "test-ak", secret: "test-secret" };
const DATE = "Mon, 01 Jan 2024 00:00:00 GMT";

describe("signer", () => {
    it("builds the canonical string field by field: method, MD5, type, date, x-odps-* headers, resource with sorted parameters", () => {
        const req: SignableRequest = {
            method: "GET",
            resource: "/projects/p/instances/i1",
            params: { taskstatus: "", curr_project: "p" },
            headers: { "Date": DATE, "User-Agent": "ua", "x-odps-user-agent": "ua", "Content-Type": "application/xml" },
        };
        const canonical = canonicalString(req);
        expect(canonical.split("\n")).toEqual([
            "GET",
            "", // Content-MD5, absent
            "application/xml",
            DATE,
            "x-odps-user-agent:ua",
            "/projects/p/instances/i1?curr_project=p&taskstatus", // no trailing newline
        ]);
        // The value Python's hmac gives for this string and secret (computed outside Node).
        expect(signCanonical(canonical, AK.secret)).toBe("9loVUkUwYfZIT4Y++3rjNTyhcYM=");
        expect(signCanonical(canonical, AK.secret)).toBe(createHmac("sha1", AK.secret).update(canonical).digest("base64"));
        expect(authorization(req, AK.id, AK.secret)).toBe("ODPS test-ak:9loVUkUwYfZIT4Y++3rjNTyhcYM=");
    });

    it("signs x-odps-* headers lower-cased and sorted, x-odps-* query parameters as headers, and decoded UTF-8 names", () => {
        const req: SignableRequest = {
            method: "post",
            resource: "/projects/项目/tables/t",
            params: { "x-odps-b": "2", "b": "值" },
            headers: { "X-ODPS-A": "1", "Content-MD5": "MD5X", "content-type": "application/xml", "date": DATE, "Host": "ignored", "x-none": undefined },
        };
        expect(canonicalString(req)).toBe(
            `POST\nMD5X\napplication/xml\n${DATE}\nx-odps-a:1\nx-odps-b:2\n/projects/项目/tables/t?b=值&x-odps-b=2`);
        expect(signCanonical(canonicalString(req), AK.secret)).toBe("tjvKMtvSvi62KWEcVAZL3ODZ1os=");
    });

    it("writes the resource alone without parameters, and the Date as RFC-822 GMT", () => {
        expect(canonicalResource("/projects/p", {})).toBe("/projects/p");
        expect(canonicalString({ method: "GET", resource: "/projects/p", params: {}, headers: {} })).toBe("GET\n\n\n/projects/p");
        expect(httpDate(new Date(Date.UTC(2024, 0, 1)))).toBe(DATE);
    });

    it("reads a request target back as the client signed it (the endpoint path removed, everything decoded)", () => {
        const s = signableFromTarget("GET", "/api/projects/%E9%A1%B9/tables/t?taskstatus&curr_project=a%20b", { date: DATE }, "/api/");
        expect(s.resource).toBe("/projects/项/tables/t");
        expect(s.params).toEqual({ taskstatus: "", curr_project: "a b" });
        expect(parseAuthorization("ODPS id:abc+/=")).toEqual({ accessKeyId: "id", signature: "abc+/=" });
        expect(parseAuthorization("Bearer x")).toBeUndefined();
    });
});

describe("errors", () => {
    const ref = { method: "GET", path: "/projects/p/tables/t" };

    it("parses the XML error body", () => {
        const body = "<?xml version=\"1.0\"?>\n<Error><Code>NoSuchObject</Code><Message>Object &apos;t&apos; not found</Message>"
            + "<RequestId>REQ1</RequestId><HostId>h</HostId></Error>";
        expect(parseErrorBody(body)).toEqual({ code: "NoSuchObject", message: "Object 't' not found", requestId: "REQ1" });
        const e = errorFromResponse(ref, 404, {}, Buffer.from(body));
        expect(e).toBeInstanceOf(MaxComputeError);
        expect([e.code, e.serverMessage, e.requestId, e.httpStatus, e.method, e.path]).toEqual(["NoSuchObject", "Object 't' not found", "REQ1", 404, "GET", "/projects/p/tables/t"]);
        expect(e.notFound).toBe(true);
        expect(e.retryable).toBe(false);
        expect(e.message).toContain("GET /projects/p/tables/t");
    });

    it("parses the JSON error body, the request id from the x-odps-request-id header", () => {
        const body = JSON.stringify({ Code: "InternalServerError", Message: "System internal error", HostId: "h" });
        const e = errorFromResponse(ref, 500, { "x-odps-request-id": "REQ2" }, Buffer.from(body));
        expect([e.code, e.serverMessage, e.requestId]).toEqual(["InternalServerError", "System internal error", "REQ2"]);
        expect(e.retryable).toBe(true);
        expect(e.permanent).toBe(false);
    });

    it("keeps the status when the body is neither (a proxy's page)", () => {
        const e = errorFromResponse(ref, 502, {}, Buffer.from("<html><body><h1>Bad gateway</h1></body></html>"));
        expect(e.code).toBe("HTTP 502");
        expect(e.serverMessage).toBe("Bad gateway");
        expect(e.retryable).toBe(true);
        expect(parseErrorBody("not json {")).toBeUndefined();
        expect(parseErrorBody("{\"x\":1}")).toBeUndefined();
    });

    it("scrubs what the service echoes", () => {
        const body = `<Error><Code>InvalidSignature</Code><Message>bad key ${AK.secret}</Message></Error>`;
        const e = errorFromResponse(ref, 403, {}, Buffer.from(body), (t) => t.split(AK.secret).join("[secret]"));
        expect(e.message).not.toContain(AK.secret);
    });

    it("classifies: 5xx, 429 and the service's try-again codes retry; other 4xx are permanent; resets are connection failures", () => {
        const answer = (status: number, code: string) => new MaxComputeError(code, "m", ref, status, undefined);
        expect(answer(500, "InternalServerError").retryable).toBe(true);
        expect(answer(503, "ServiceUnavailable").retryable).toBe(true);
        expect(answer(429, "HTTP 429").retryable).toBe(true);
        expect(answer(400, "ServiceUnavailable").retryable).toBe(true);
        for (const [status, code] of [[401, "InvalidAuthorization"], [403, "NoPermission"], [404, "NoSuchObject"], [400, "InvalidParameter"], [409, "ObjectAlreadyExists"]] as const) {
            const e = answer(status, code);
            expect(e.retryable).toBe(false);
            expect(e.permanent).toBe(true);
            expect(classifyFailure(e)).toBe("permanent");
            expect(maxComputeErrorClass(e)).toBe("permanent");
        }
        expect(classifyFailure(answer(500, "InternalServerError"))).toBe("other");
        expect(maxComputeErrorClass(answer(500, "InternalServerError"))).toBe("retryable");

        const reset = new MaxComputeConnectionError("ECONNRESET", "http://h", "socket hang up", ref);
        expect(isRetryable(reset)).toBe(true);
        expect(maxComputeErrorClass(reset)).toBe("connection");
        expect(classifyFailure(reset)).toBe("connection");

        const client = new MaxComputeClientError("bad", ref);
        expect(isRetryable(client)).toBe(false);
        expect(classifyFailure(client)).toBe("permanent");

        const parse = new MaxComputeSqlError("SELEC 1", "p", "i1", "FAILED", "ODPS-0130161:[1,1] Parse exception - invalid token 'SELEC'");
        expect(parse.code).toBe("ODPS-0130161");
        expect(classifyFailure(parse)).toBe("permanent");
        const system = new MaxComputeSqlError("DROP TABLE t", "p", "i2", "FAILED", "ODPS-0010000:System internal error - fuxi job failed");
        expect(classifyFailure(system)).toBe("other");
        expect(classifyFailure(new MaxComputeSqlTimeoutError("x", "p", "i3", "RUNNING", 1000))).toBe("other");
        expect(isRetryable(new Error("x"))).toBe(false);
    });
});

// ---------------------------------------------------------------------------------------
// Against a tiny server

interface Instance { sql: string; polls: number; runningPolls: number; fail?: string; base64: boolean }

let server: Server;
let endpoint: string;
/** Every request as the server saw it, with whether its signature checked out. */
let seen: { method: string; url: string; signatureOk: boolean; headers: IncomingMessage["headers"]; body: string }[] = [];
let flakyCalls = 0;
let resetCalls = 0;
const instances = new Map<string, Instance>();
let nextInstance = 1;

function xml(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
    res.writeHead(status, { "content-type": "application/xml", "x-odps-request-id": `rid-${seen.length}`, ...headers });
    res.end(body);
}

function errorXml(res: ServerResponse, status: number, code: string, message: string): void {
    xml(res, status, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message><![CDATA[${message}]]></Message><RequestId>rid-err</RequestId><HostId>h</HostId></Error>`);
}

function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const url = req.url ?? "";
    // The signature recomputed from the request as received, with the server's own reading of it.
    const signable = signableFromTarget(req.method ?? "", url, req.headers, "/api");
    const auth = parseAuthorization(req.headers.authorization);
    const expected = createHmac("sha1", AK.secret).update(canonicalString(signable)).digest("base64");
    const signatureOk = auth?.accessKeyId === AK.id && auth.signature === expected && typeof req.headers.date === "string";
    seen.push({ method: req.method ?? "", url, signatureOk, headers: req.headers, body });
    if (!signatureOk) return errorXml(res, 403, "SignatureNotMatch", "The request signature does not match");

    const path = signable.resource;
    const q = signable.params;
    let m: RegExpExecArray | null;
    if (req.method === "GET" && path === "/projects/p") {
        return xml(res, 200, "<?xml version=\"1.0\"?><Project><Name>p</Name><Owner>ALIYUN$x@y.com</Owner><State>AVAILABLE</State><Comment>c &amp; d</Comment></Project>");
    }
    if (req.method === "GET" && path === "/projects/flaky") {
        if (++flakyCalls === 1) return errorXml(res, 500, "InternalServerError", "Service internal error, please try again later.");
        return xml(res, 200, "<Project><Name>flaky</Name></Project>");
    }
    if (req.method === "GET" && path === "/projects/down") return errorXml(res, 503, "ServiceUnavailable", "Service is temporarily unavailable");
    if (req.method === "GET" && path === "/projects/reset") {
        if (++resetCalls === 1) {
            req.socket.destroy();
            return;
        }
        return xml(res, 200, "<Project><Name>reset</Name></Project>");
    }
    if (req.method === "GET" && path === "/projects/json") {
        res.writeHead(400, { "content-type": "application/json", "x-odps-request-id": "rid-json" });
        res.end(JSON.stringify({ Code: "InvalidParameter", Message: "bad parameter" }));
        return;
    }
    if (req.method === "GET" && (m = /^\/projects\/p\/tables\/([^/]+)$/.exec(path))) {
        if (m[1] !== "orders") return errorXml(res, 404, "NoSuchObject", `The specified object is not found - table ${m[1]}`);
        const schema = {
            columns: [
                { name: "id", type: "bigint", comment: "", isNullable: false },
                { name: "amount", type: "decimal(20,2)", comment: "the <amount>", isNullable: true },
            ],
            partitionKeys: [{ name: "ds", type: "string", comment: "day" }],
        };
        return xml(res, 200, `<?xml version="1.0"?><Table><Name>orders</Name><TableId>tid1</TableId><Schema><![CDATA[${JSON.stringify(schema)}]]></Schema></Table>`);
    }
    if (req.method === "POST" && path === "/projects/p/instances") {
        const id = `2024010100000${nextInstance++}gx`;
        const sql = xmlText(body, "Query") ?? "";
        const fail = /FAILME/.test(sql) ? "ODPS-0130071:[1,1] Semantic analysis exception - column c2 already exists" : undefined;
        instances.set(id, { sql, polls: 0, runningPolls: /SLOW/.test(sql) ? 2 : 0, fail, base64: /B64/.test(sql) });
        return xml(res, 201, "", { location: `${endpoint}/projects/p/instances/${id}` });
    }
    if (req.method === "GET" && (m = /^\/projects\/p\/instances\/([^/]+)$/.exec(path))) {
        const inst = instances.get(m[1]);
        if (!inst) return errorXml(res, 404, "NoSuchObject", "no such instance");
        if ("taskstatus" in q) {
            inst.polls++;
            const running = inst.polls <= inst.runningPolls;
            const status = running ? "Running" : inst.fail ? "Failed" : "Success";
            return xml(res, 200, `<?xml version="1.0"?><Instance><Status>${running ? "Running" : "Terminated"}</Status><Tasks><Task Type="SQL">`
                + `<Name>AnonymousSQLTask</Name><StartTime>${DATE}</StartTime><Status>${status}</Status></Task></Tasks></Instance>`);
        }
        if ("result" in q) {
            const text = inst.fail ?? "OK";
            const content = inst.base64 ? `<Result Format="text" Transform="Base64">${Buffer.from(text).toString("base64")}</Result>` : `<Result Format="text"><![CDATA[${text}]]></Result>`;
            return xml(res, 200, `<?xml version="1.0"?><Instance><Tasks><Task Type="SQL"><Name>AnonymousSQLTask</Name>${content}</Task></Tasks></Instance>`);
        }
    }
    errorXml(res, 404, "NoSuchObject", `no route ${req.method} ${path}`);
}

beforeAll(async () => {
    server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => handle(req, res, Buffer.concat(chunks).toString("utf8")));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
});

afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
    seen = [];
});

const opened: MaxComputeRest[] = [];
function client(secret = AK.secret): MaxComputeRest {
    const c = new MaxComputeRest({ endpoint, accessKeyId: AK.id, accessKeySecret: secret }, { backoffMs: 10, timeoutMs: 5_000 });
    opened.push(c);
    return c;
}
afterAll(() => opened.forEach((c) => c.close()));

describe("REST calls", () => {
    it("signs each request: Authorization, Date and curr_project, recomputed by the server", async () => {
        const project = await client().getProject("p");
        expect(project).toEqual({ name: "p", owner: "ALIYUN$x@y.com", state: "AVAILABLE", comment: "c & d" });
        expect(seen).toHaveLength(1);
        expect(seen[0].signatureOk).toBe(true);
        expect(seen[0].headers.authorization).toMatch(/^ODPS test-ak:[A-Za-z0-9+/]+=*$/);
        expect(seen[0].url).toBe("/api/projects/p?curr_project=p");
        expect(seen[0].headers["x-odps-user-agent"]).toBeTruthy();
    });

    it("reads a table's columns and partition columns from the Schema JSON", async () => {
        const t = await client().getTable("p", "orders");
        expect(t).toEqual({
            name: "orders",
            tableId: "tid1",
            columns: [
                { name: "id", type: "bigint", comment: undefined, nullable: false },
                { name: "amount", type: "decimal(20,2)", comment: "the <amount>", nullable: true },
            ],
            partitionColumns: [{ name: "ds", type: "string", comment: "day", nullable: undefined }],
        });
        expect(await client().tableExists("p", "orders")).toBe(true);
        expect(await client().tableExists("p", "nothere")).toBe(false);
    });

    it("throws a typed, permanent error for a missing table, without retrying it", async () => {
        const err = await client().getTable("p", "nothere").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MaxComputeError);
        const e = err as MaxComputeError;
        expect([e.code, e.httpStatus, e.requestId, e.method, e.path, e.notFound, e.permanent]).toEqual(
            ["NoSuchObject", 404, "rid-1", "GET", "/projects/p/tables/nothere", true, true]);
        expect(seen).toHaveLength(1);
    });

    it("retries a 500 and succeeds on the next attempt", async () => {
        flakyCalls = 0;
        expect((await client().getProject("flaky")).name).toBe("flaky");
        expect(flakyCalls).toBe(2);
        expect(seen.every((s) => s.signatureOk)).toBe(true);
    });

    it("gives up after three attempts on a lasting 503", async () => {
        const err = await client().getProject("down").catch((e: unknown) => e);
        expect(err).toBeInstanceOf(MaxComputeError);
        expect((err as MaxComputeError).code).toBe("ServiceUnavailable");
        expect((err as MaxComputeError).retryable).toBe(true);
        expect(seen).toHaveLength(3);
    });

    it("retries a connection reset", async () => {
        resetCalls = 0;
        expect((await client().getProject("reset")).name).toBe("reset");
        expect(resetCalls).toBe(2);
    });

    it("reads a JSON error body", async () => {
        const err = await client().getProject("json").catch((e: unknown) => e) as MaxComputeError;
        expect([err.code, err.serverMessage, err.requestId, err.httpStatus]).toEqual(["InvalidParameter", "bad parameter", "rid-json", 400]);
        expect(seen).toHaveLength(1);
    });

    it("a wrong secret is refused (403), permanent, and the secret appears in no message", async () => {
        const secret = "wrong-secret-9876";
        const err = await client(secret).getProject("p").catch((e: unknown) => e) as MaxComputeError;
        expect(err).toBeInstanceOf(MaxComputeError);
        expect([err.code, err.httpStatus, err.permanent]).toEqual(["SignatureNotMatch", 403, true]);
        expect(err.message).not.toContain(secret);
        expect(seen).toHaveLength(1);
    });

    it("an unreachable endpoint is a connection error carrying the system code", async () => {
        const probe = createServer();
        await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
        const port = (probe.address() as AddressInfo).port;
        await new Promise<void>((resolve) => probe.close(() => resolve()));
        const c = new MaxComputeRest({ endpoint: `http://127.0.0.1:${port}/api`, accessKeyId: AK.id, accessKeySecret: AK.secret }, { backoffMs: 1, attempts: 2 });
        opened.push(c);
        const err = await c.getProject("p").catch((e: unknown) => e) as MaxComputeConnectionError;
        expect(err).toBeInstanceOf(MaxComputeConnectionError);
        expect(err.code).toBe("ECONNREFUSED");
        expect(classifyFailure(err)).toBe("connection");
    });

    it("refuses endpoints and names it cannot address", async () => {
        expect(() => new MaxComputeRest({ endpoint: "ftp://x", accessKeyId: "a", accessKeySecret: "s" })).toThrow(MaxComputeClientError);
        await expect(client().getTable("p", "../x")).rejects.toBeInstanceOf(MaxComputeClientError);
        expect(seen).toHaveLength(0);
    });
});

describe("SQL instances", () => {
    const fast = { pollInitialMs: 5, pollMaxMs: 20 };

    it("builds the job XML with the SQL task, the V2 type-system hint and the statement in CDATA", () => {
        const body = sqlJobXml("ALTER TABLE t ADD COLUMNS (c2 BIGINT) -- ]]> tail", { settings: { "odps.sql.allow.fullscan": "true" } }, "u-1");
        expect(xmlText(body, "Query")).toBe("ALTER TABLE t ADD COLUMNS (c2 BIGINT) -- ]]> tail");
        expect(body).toContain("<Name>AnonymousSQLTask</Name>");
        expect(body).toContain("<RunMode>Sequence</RunMode>");
        const settingsValue = /<Name>settings<\/Name><Value>([^<]*)<\/Value>/.exec(body)?.[1] ?? "";
        expect(JSON.parse(settingsValue.replace(/&amp;/g, "&"))).toEqual({
            "odps.sql.type.system.odps2": "true", "odps.sql.decimal.odps2": "true", "odps.sql.allow.fullscan": "true",
        });
    });

    it("submits, polls while Running (twice), and returns on Terminated/Success", async () => {
        const r = await runSql(client(), "p", "CREATE TABLE IF NOT EXISTS SLOW (id BIGINT);", fast);
        expect(r.instanceId).toMatch(/gx$/);
        const inst = instances.get(r.instanceId);
        expect(inst?.sql).toBe("CREATE TABLE IF NOT EXISTS SLOW (id BIGINT);");
        expect(inst?.polls).toBe(3);
        const post = seen.find((s) => s.method === "POST");
        expect(post?.headers["content-type"]).toBe("application/xml");
        expect(seen.map((s) => s.url.replace(/\?.*/, (q) => q.replace(/&curr_project=p|curr_project=p&?/, "")))).toEqual([
            "/api/projects/p/instances?",
            `/api/projects/p/instances/${r.instanceId}?taskstatus`,
            `/api/projects/p/instances/${r.instanceId}?taskstatus`,
            `/api/projects/p/instances/${r.instanceId}?taskstatus`,
            `/api/projects/p/instances/${r.instanceId}?result`,
        ]);
        expect(seen.every((s) => s.signatureOk)).toBe(true);
    });

    it("a Failed instance throws its ?result text, with the SQL and the instance id", async () => {
        const sql = "ALTER TABLE t ADD COLUMNS (c2 BIGINT); -- FAILME";
        const err = await runSql(client(), "p", sql, fast).catch((e: unknown) => e) as MaxComputeSqlError;
        expect(err).toBeInstanceOf(MaxComputeSqlError);
        expect(err.sql).toBe(sql);
        expect(err.instanceId).toMatch(/gx$/);
        expect(err.taskStatus).toBe("FAILED");
        expect(err.result).toBe("ODPS-0130071:[1,1] Semantic analysis exception - column c2 already exists");
        expect(err.code).toBe("ODPS-0130071");
        expect(err.message).toContain("column c2 already exists");
        expect(err.message).toContain(err.instanceId);
        expect(classifyFailure(err)).toBe("permanent");
    });

    it("decodes a Base64 result", async () => {
        const err = await runSql(client(), "p", "SELECT 1 -- FAILME B64", fast).catch((e: unknown) => e) as MaxComputeSqlError;
        expect(err.result).toContain("column c2 already exists");
    });

    it("stops waiting at the timeout with a non-permanent error", async () => {
        const err = await runSql(client(), "p", "CREATE TABLE SLOW2 (id BIGINT) -- SLOW", { pollInitialMs: 50, pollMaxMs: 50, timeoutMs: 60 })
            .catch((e: unknown) => e) as MaxComputeSqlTimeoutError;
        expect(err).toBeInstanceOf(MaxComputeSqlTimeoutError);
        expect(err.lastStatus).toBe("RUNNING");
        expect(classifyFailure(err)).toBe("other");
    });
});
