import { randomUUID } from "node:crypto";
import { MaxComputeClientError, MaxComputeSqlError, MaxComputeSqlTimeoutError } from "./errors";
import { type MaxComputeRest, pathSegment, type RestResponse } from "./rest";
import { cdata, decodeText, escapeXml, xmlElement, xmlElements, xmlText } from "./xml";

/**
 * DDL as SQL instances (research/maxcompute.md §2): the service has no create-table call, so
 * a statement is submitted as a job (POST /projects/<p>/instances), its instance id read from
 * the Location header, and the instance polled (?taskstatus) until it ends; a failed task's
 * ?result text is its error.
 *
 * A submission is retried like any request (rest.ts) when the answer is lost, which may run
 * the statement twice: the DDL layer writes statements that a second run leaves alone
 * (IF NOT EXISTS), as DataX does.
 */

/** The V2 type system, without which TINYINT, DATE, VARCHAR, DECIMAL(p,s) etc. are refused (§4). */
export const DEFAULT_SQL_SETTINGS: Readonly<Record<string, string>> = Object.freeze({
    "odps.sql.type.system.odps2": "true",
    "odps.sql.decimal.odps2": "true",
});

const TASK_NAME = "AnonymousSQLTask";

export interface SqlRunOptions {
    /** Merged over DEFAULT_SQL_SETTINGS. */
    settings?: Readonly<Record<string, string>>;
    /** Job priority, 0 (highest) to 9 (default 9, the SDKs' default). */
    priority?: number;
    /** The first wait between polls (default 500 ms); each next one is 1.5 times longer. */
    pollInitialMs?: number;
    /** The longest wait between polls (default 5 s). */
    pollMaxMs?: number;
    /** How long to wait for the instance to end (default 10 minutes). */
    timeoutMs?: number;
}

export interface SqlRunResult {
    instanceId: string;
    /** The task's result text: empty for most DDL. */
    result: string;
}

type TaskStatus = "WAITING" | "RUNNING" | "SUCCESS" | "FAILED" | "SUSPENDED" | "CANCELLED" | "UNKNOWN";

interface TaskState {
    name: string;
    status: TaskStatus;
}

/** Submits `sql` and waits for it: resolves on success, throws MaxComputeSqlError otherwise. */
export async function runSql(rest: MaxComputeRest, project: string, sql: string, opts: SqlRunOptions = {}): Promise<SqlRunResult> {
    const { instanceId, response } = await submitSql(rest, project, sql, opts);
    // The service may answer a short statement synchronously, results in the POST's body.
    const synchronous = taskResults(response.body.toString("utf8")).find((t) => isFinal(t.status));
    if (synchronous) return outcome(sql, project, instanceId, synchronous.status, synchronous.result);
    return waitForSql(rest, project, instanceId, sql, opts);
}

/** The job XML for one SQL task (the shape pyodps and the Java SDK submit). */
export function sqlJobXml(sql: string, opts: Pick<SqlRunOptions, "settings" | "priority"> = {}, uuid: string = randomUUID()): string {
    const settings = JSON.stringify({ ...DEFAULT_SQL_SETTINGS, ...(opts.settings ?? {}) });
    const priority = opts.priority ?? 9;
    if (!Number.isInteger(priority) || priority < 0 || priority > 9) throw new MaxComputeClientError(`the job priority must be an integer 0..9, got ${priority}`);
    const property = (n: string, v: string) => `<Property><Name>${escapeXml(n)}</Name><Value>${escapeXml(v)}</Value></Property>`;
    return `<?xml version="1.0" encoding="utf-8"?>\n<Instance><Job><Priority>${priority}</Priority><Tasks><SQL>`
        + `<Name>${TASK_NAME}</Name><Config>${property("uuid", uuid)}${property("settings", settings)}</Config>`
        + `<Query>${cdata(sql)}</Query></SQL></Tasks><DAG><RunMode>Sequence</RunMode></DAG></Job></Instance>`;
}

export async function submitSql(
    rest: MaxComputeRest, project: string, sql: string, opts: Pick<SqlRunOptions, "settings" | "priority"> = {},
): Promise<{ instanceId: string; response: RestResponse }> {
    const segments = ["projects", pathSegment(project, "project"), "instances"];
    const response = await rest.request({
        method: "POST", segments, project, headers: { "content-type": "application/xml" }, body: sqlJobXml(sql, opts),
    });
    const location = response.headers.location;
    const instanceId = location ? new URL(location, "http://x").pathname.replace(/\/+$/, "").split("/").pop() : undefined;
    if (!instanceId) throw rest.unreadable(response, "no Location header naming the new instance", "POST", segments);
    return { instanceId: decodeURIComponent(instanceId), response };
}

/** Polls the instance until it ends, waiting a little longer each time. */
export async function waitForSql(rest: MaxComputeRest, project: string, instanceId: string, sql: string, opts: SqlRunOptions = {}): Promise<SqlRunResult> {
    const timeoutMs = opts.timeoutMs ?? 600_000;
    const maxMs = opts.pollMaxMs ?? 5_000;
    let waitMs = opts.pollInitialMs ?? 500;
    const deadline = Date.now() + timeoutMs;
    const segments = ["projects", pathSegment(project, "project"), "instances", pathSegment(instanceId, "instance")];
    for (;;) {
        const res = await rest.request({ method: "GET", segments, params: { taskstatus: "" }, project });
        const xml = res.body.toString("utf8");
        const instanceStatus = instanceStatusOf(xml);
        const task = tasksOf(xml).find((t) => t.name === TASK_NAME) ?? tasksOf(xml)[0];
        if (task && isFinal(task.status)) return finish(rest, project, instanceId, sql, task.status);
        // Terminated with no final task status: the instance ended (or was stopped) around it.
        if (instanceStatus === "Terminated") return finish(rest, project, instanceId, sql, task?.status ?? "UNKNOWN");
        if (Date.now() + waitMs > deadline) throw new MaxComputeSqlTimeoutError(sql, project, instanceId, task?.status ?? instanceStatus ?? "UNKNOWN", timeoutMs);
        await new Promise((resolve) => setTimeout(resolve, waitMs));
        waitMs = Math.min(maxMs, Math.ceil(waitMs * 1.5));
    }
}

async function finish(rest: MaxComputeRest, project: string, instanceId: string, sql: string, status: TaskStatus): Promise<SqlRunResult> {
    const res = await rest.request({ method: "GET", segments: ["projects", project, "instances", instanceId], params: { result: "" }, project });
    const results = taskResults(res.body.toString("utf8"));
    const mine = results.find((r) => r.name === TASK_NAME) ?? results[0];
    return outcome(sql, project, instanceId, status, mine?.result ?? "");
}

function outcome(sql: string, project: string, instanceId: string, status: TaskStatus, result: string): SqlRunResult {
    if (status !== "SUCCESS") throw new MaxComputeSqlError(sql, project, instanceId, status, result.trim());
    return { instanceId, result };
}

function isFinal(s: TaskStatus): boolean {
    return s === "SUCCESS" || s === "FAILED" || s === "CANCELLED";
}

function taskStatus(s: string | undefined): TaskStatus {
    const u = (s ?? "").trim().toUpperCase();
    return u === "WAITING" || u === "RUNNING" || u === "SUCCESS" || u === "FAILED" || u === "SUSPENDED" || u === "CANCELLED" ? u : "UNKNOWN";
}

/** `<Instance><Status>` itself, not a task's: the Tasks element is set aside first. */
function instanceStatusOf(xml: string): string | undefined {
    const root = xmlElement(xml, "Instance");
    if (!root) return undefined;
    return xmlText(root.inner.replace(/<Tasks[\s>][\s\S]*<\/Tasks\s*>/, ""), "Status")?.trim() || undefined;
}

function tasksOf(xml: string): TaskState[] {
    const tasks = xmlElement(xml, "Tasks");
    if (!tasks) return [];
    return xmlElements(tasks.inner, "Task").map((t) => {
        // A task's earlier attempts (<Histories>) carry statuses of their own.
        const own = t.inner.replace(/<Histories[\s>][\s\S]*<\/Histories\s*>/, "");
        return { name: xmlText(own, "Name")?.trim() ?? "", status: taskStatus(xmlText(own, "Status")) };
    });
}

/** Each task's status and result text (`<Result Transform="Base64">` decoded). */
function taskResults(xml: string): (TaskState & { result: string })[] {
    const tasks = xmlElement(xml, "Tasks");
    if (!tasks) return [];
    return xmlElements(tasks.inner, "Task").map((t) => {
        const r = xmlElement(t.inner, "Result");
        const text = r ? decodeText(r.inner) : "";
        const result = r?.attributes.Transform === "Base64" ? Buffer.from(text.trim(), "base64").toString("utf8") : text;
        return { name: xmlText(t.inner, "Name")?.trim() ?? "", status: taskStatus(xmlText(t.inner, "Status")), result };
    });
}
