/**
 * The control protocol between callers (provider hooks, CLI) and the engine: the engine
 * admits only well-formed envelopes of its own protocol version (ping and shutdown from any
 * version, so any CLI can find and stop any engine), the caller trusts only well-formed
 * answers of its version, and a mismatch says how to get out of it. Served on a real unix
 * socket in this process; the "other version" sides are raw JSON, as those versions write it.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { z } from "zod";
import { answer, callEngine, EngineError, pingEngine } from "../../provider/engine/control/client";
import { CONTROL_PROTOCOL, type EngineRequest } from "../../provider/engine/control/protocol";
import { admit, EngineRequestError, serveControl } from "../../provider/engine/control/server";
import { controlToken, type EngineHome, engineHome } from "../../provider/engine/home";
import type { engineTaskSpecSchema } from "../../provider/engine/task-store-format";

const TOKEN = "t0ken";
/** protocol null: an envelope from before protocol versions, which has none. */
const envelope = (request: unknown, protocol: number | null = CONTROL_PROTOCOL, token = TOKEN) =>
    JSON.stringify({ ...(protocol === null ? {} : { protocol }), token, request });

function refused(line: string): { error: string; code?: string } {
    const a = admit(line, TOKEN);
    if (!("refused" in a)) throw new Error(`admitted: ${JSON.stringify(a.request)}`);
    expect(a.refused).toMatchObject({ ok: false, protocol: CONTROL_PROTOCOL });
    return a.refused as { error: string; code?: string };
}

const spec: z.input<typeof engineTaskSpecSchema> = {
    taskId: "dts-0a1b2c3d4e5f",
    task: {
        source: { connectionId: "src", engine: "mariadb" }, destination: { connectionId: "dst", engine: "mariadb" },
        migrationTypes: ["full"], objects: [{ database: "shop" }],
    },
    source: { engine: "mariadb", host: "127.0.0.1", user: "dts", password: "pw", connectionId: "src" },
    destination: { engine: "mariadb", host: "127.0.0.1", user: "dts", password: "pw", connectionId: "dst" },
};

describe("the engine admits envelopes", () => {
    it("of its version, validated by method, with defaults applied", () => {
        const a = admit(envelope({ method: "submit", taskId: spec.taskId, spec }), TOKEN);
        expect("request" in a).toBe(true);
        const req = (a as { request: EngineRequest }).request;
        expect(req.method).toBe("submit");
        if (req.method === "submit") {
            expect(req.spec.task.dirtyData).toBe("block");
            expect(req.spec.source).toMatchObject({ tls: { mode: "disabled" }, connectTimeoutSeconds: 10, connectionId: "src" });
        }
        expect(admit(envelope({ method: "logs", taskId: "t1", lines: 20 }), TOKEN)).toEqual({ request: { method: "logs", taskId: "t1", lines: 20 } });
    });

    it("refuses what is not an envelope, naming what is wrong", () => {
        expect(refused("{not json")).toEqual(expect.objectContaining({ code: "bad-request", error: "bad request: not JSON" }));
        expect(refused(JSON.stringify({ protocol: 1, request: { method: "list" } }))).toMatchObject({ code: "bad-request", error: expect.stringContaining("envelope.token:") });
        expect(refused(JSON.stringify({ protocol: "1", token: TOKEN, request: { method: "list" } }))).toMatchObject({ code: "bad-request", error: expect.stringContaining("envelope.protocol:") });
    });

    it("refuses a wrong token before saying anything about the request", () => {
        expect(refused(envelope({ method: "nonsense" }, 7, "wrong"))).toMatchObject({ code: "unauthorized", error: "bad control token" });
    });

    it("refuses malformed requests with the field", () => {
        expect(refused(envelope({ method: "explode" })).error).toMatch(/^bad request: request\.method: must be one of "ping", "submit", .*"shutdown"$/);
        expect(refused(envelope({ method: "get" })).error).toContain("request.taskId:");
        expect(refused(envelope({ method: "get", taskId: "../../etc" })).error).toContain("request.taskId: must be 1-64 letters");
        expect(refused(envelope({ method: "logs", taskId: "t1", lines: "many" })).error).toContain("request.lines:");
        const noHost = { ...spec, source: { ...spec.source, host: undefined } };
        expect(refused(envelope({ method: "submit", taskId: spec.taskId, spec: noHost })).error).toContain("request.spec.source.host:");
        expect(refused(envelope({ method: "update", taskId: "dts-ffffffffffff", spec })).error).toContain("request.spec.taskId: must be the request's taskId");
        const badTask = { ...spec, task: { ...spec.task, migrationTypes: [] } };
        expect(refused(envelope({ method: "submit", taskId: spec.taskId, spec: badTask })).error).toContain("request.spec.task.migrationTypes:");
    });

    it("refuses another protocol version with a message to restart the engine, except ping and shutdown", () => {
        for (const other of [null, CONTROL_PROTOCOL + 1]) {
            const r = refused(envelope({ method: "list" }, other));
            expect(r.code).toBe("version-mismatch");
            expect(r.error).toContain(`the running pulumi-dts engine speaks control protocol version ${CONTROL_PROTOCOL}`);
            expect(r.error).toContain(other === null ? "version 0 (a pulumi-dts from before protocol versions)" : `version ${other}`);
            expect(r.error).toContain("npx pulumi-dts engine stop");
            expect(admit(envelope({ method: "ping" }, other), TOKEN)).toEqual({ request: { method: "ping" } });
            expect(admit(envelope({ method: "shutdown" }, other), TOKEN)).toEqual({ request: { method: "shutdown" } });
        }
    });
});

describe("the caller checks answers", () => {
    it("passes results and the engine's refusals through", () => {
        expect(answer({ method: "list" }, JSON.stringify({ protocol: CONTROL_PROTOCOL, ok: true, result: [] }))).toEqual({ protocol: CONTROL_PROTOCOL, result: [] });
        expect(() => answer({ method: "get", taskId: "x" }, JSON.stringify({ protocol: CONTROL_PROTOCOL, ok: false, error: "no task x", code: "not-found" })))
            .toThrow(expect.objectContaining({ message: "no task x", code: "not-found" }));
    });

    it("refuses what is not an answer", () => {
        expect(() => answer({ method: "list" }, "garbage")).toThrow(expect.objectContaining({ code: "bad-response" }));
        expect(() => answer({ method: "list" }, JSON.stringify({ protocol: 1, result: [] }))).toThrow(/malformed answer from the engine \(ok: /);
        expect(() => answer({ method: "ping" }, JSON.stringify({ protocol: 1, ok: true, result: { pid: "12" } }))).toThrow(/malformed ping answer from the engine \(pid: /);
    });

    it("refuses an answer of another version, except to ping and shutdown", () => {
        const v0 = JSON.stringify({ ok: true, result: [] });
        expect(() => answer({ method: "list" }, v0)).toThrow(expect.objectContaining({ code: "version-mismatch", message: expect.stringContaining("npx pulumi-dts engine stop") }));
        expect(() => answer({ method: "list" }, v0)).toThrow(/engine speaks control protocol version 0 .* this pulumi-dts speaks version 1/);
        expect(answer({ method: "ping" }, JSON.stringify({ ok: true, result: { pid: 12, version: "0.1.0", tasks: 2 } }))).toEqual({ protocol: 0, result: { pid: 12, version: "0.1.0", tasks: 2 } });
        expect(answer({ method: "shutdown" }, JSON.stringify({ ok: true, result: { stopping: true } })).result).toEqual({ stopping: true });
    });
});

describe("over the socket", () => {
    let dir: string;
    let home: EngineHome;
    let server: Server | undefined;

    beforeEach(() => {
        dir = mkdtempSync(join(tmpdir(), "dts-ctl-"));
        home = engineHome(dir);
    });
    afterEach(async () => {
        await new Promise((r) => (server ? server.close(r) : r(undefined)));
        server = undefined;
        rmSync(dir, { recursive: true, force: true });
    });

    /** One line written as a caller of any version writes it; the engine's answer, parsed. */
    function raw(line: string): Promise<Record<string, unknown>> {
        return new Promise((resolve, reject) => {
            const sock = connect(home.socket);
            let buf = "";
            sock.setEncoding("utf8");
            sock.on("connect", () => sock.write(line + "\n"));
            sock.on("data", (d: string) => (buf += d));
            sock.on("end", () => resolve(JSON.parse(buf)));
            sock.on("error", reject);
        });
    }

    it("a current caller and engine: requests reach the handler validated; its coded errors come back", async () => {
        const seen: EngineRequest[] = [];
        server = await serveControl(home, controlToken(home), async (req) => {
            seen.push(req);
            if (req.method === "get") throw new EngineRequestError(`no task ${req.taskId}`, "not-found");
            return req.method === "ping" ? { pid: 1, version: "0.1.0", tasks: 0 } : [];
        });
        expect(await pingEngine(home)).toEqual({ pid: 1, version: "0.1.0", tasks: 0 });
        expect(await callEngine({ method: "list" }, { home, autostart: false })).toEqual([]);
        await expect(callEngine({ method: "get", taskId: "gone" }, { home, autostart: false })).rejects.toMatchObject({ code: "not-found", message: "no task gone" });
        expect(seen.map((r) => r.method)).toEqual(["ping", "list", "get"]);
    });

    it("a caller from before protocol versions: told to restart the engine, and its ping and shutdown still work", async () => {
        const seen: string[] = [];
        server = await serveControl(home, controlToken(home), async (req) => {
            seen.push(req.method);
            return req.method === "ping" ? { pid: 1, version: "0.1.0", tasks: 0 } : { stopping: true };
        });
        const token = readFileSync(home.tokenFile, "utf8");
        const list = await raw(JSON.stringify({ token, request: { method: "list" } }));
        expect(list).toMatchObject({ ok: false, code: "version-mismatch", error: expect.stringContaining("npx pulumi-dts engine stop") });
        expect(await raw(JSON.stringify({ token, request: { method: "ping" } }))).toMatchObject({ ok: true, result: { pid: 1 } });
        expect(await raw(JSON.stringify({ token, request: { method: "shutdown" } }))).toMatchObject({ ok: true, result: { stopping: true } });
        expect(seen).toEqual(["ping", "shutdown"]);
    });

    /** An engine from before protocol versions: answers everything, without a version. */
    async function serveVersion0(requests: unknown[]): Promise<void> {
        server = createServer((sock) => {
            sock.setEncoding("utf8");
            sock.on("data", (line: string) => {
                const { request } = JSON.parse(line) as { request: { method: string } };
                requests.push(request);
                sock.end(JSON.stringify({ ok: true, result: request.method === "ping" ? { pid: 1, version: "0.0.9", tasks: 3 } : { stopping: true } }) + "\n");
            });
        });
        await new Promise<void>((r) => server!.listen(home.socket, () => r()));
    }

    it("an engine from before protocol versions: a task is not submitted to it, and it can still be found and stopped", async () => {
        const requests: unknown[] = [];
        controlToken(home);
        await serveVersion0(requests);
        await expect(callEngine({ method: "submit", taskId: spec.taskId, spec }, { home, autostart: false }))
            .rejects.toMatchObject({ code: "version-mismatch", message: expect.stringContaining("npx pulumi-dts engine stop") });
        await expect(callEngine({ method: "list" }, { home, autostart: false })).rejects.toBeInstanceOf(EngineError);
        // The submit never left this caller: the engine saw the ping that found its version, and the list.
        expect(requests).toEqual([{ method: "ping" }, { method: "list" }]);
        expect(await pingEngine(home)).toEqual({ pid: 1, version: "0.0.9", tasks: 3 });
        expect(await callEngine({ method: "shutdown" }, { home, autostart: false })).toEqual({ stopping: true });
    });
});
