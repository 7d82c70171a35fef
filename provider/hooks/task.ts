/**
 * Dynamic-provider hooks of MigrationTask: thin clients of the engine process. create
 * submits and waits for the readiness the task asks for; update reconfigures; delete
 * releases (destination data is kept); read reports the engine's status.
 */
import { createHash, randomBytes } from "node:crypto";
import { connectionArgsSchema, type ConnectionSpec, isMysqlFamily, isPostgresFamily } from "../../sdk/schema/connection";
import { taskArgsSchema, type TaskSpec } from "../../sdk/schema/task";
import { type CheckFailure, UNKNOWN, validate } from "../check";
import { EngineError } from "../engine/control/client";
import { configureTaskEngine, type ProviderConfig, taskEngine } from "./task-engine";
import { describeBlocking } from "../engine/precheck/run-precheck";
import { formatPosition } from "../engine/model";
import type { TaskStatus } from "../engine/status";
import { defaultWaitFor, reached } from "../engine/readiness";
import type { EngineTaskSpec } from "../engine/task-store";
import { redact } from "../errors/connection-error";
import { connectionFieldFailures, taskFieldFailures } from "../unimplemented-fields";
import { classifyChanges, type FieldChange } from "../../sdk/schema/task-fields";

type Props = Record<string, unknown>;

/**
 * The SDK's stable key of the resource (organization, project, stack, name): with the
 * engine service, the task id is derived from it, so a create retried after an interrupted
 * run finds the task it made instead of making a second one.
 */
export const TASK_KEY = "__taskKey";

const OUTPUT_KEYS = ["taskId", "generation", "status", "retrying", "precheck", "tables", "snapshotPosition", "snapshotBinlogPosition", "rowsCopied", "dirtyRows", "dirtySample", "notes", "error", "incremental", "latencySeconds"];

/** Engine capabilities that arrive with later issues; refused at preview, not at the end of a load. */
function capabilityFailures(news: Props): CheckFailure[] {
    const failures: CheckFailure[] = [];
    for (const side of ["source", "destination"] as const) {
        const conn = news[side] as Props | undefined;
        if (!conn || conn === (UNKNOWN as unknown) || typeof conn.engine !== "string") continue;
        const engine = conn.engine as ConnectionSpec["engine"];
        if (side === "source" && !isMysqlFamily(engine)) {
            failures.push({ property: "source", reason: `source must be a MySQL-family connection (mysql, mariadb, polardb-mysql), not "${engine}"` });
        }
        if (side === "destination" && !isMysqlFamily(engine) && !isPostgresFamily(engine) && engine !== "tablestore" && engine !== "maxcompute") {
            failures.push({ property: "destination", reason: `destination "${engine}" is not implemented yet: this version migrates to MySQL-family, PostgreSQL-family, Tablestore and MaxCompute connections` });
        }
    }
    return failures;
}

/**
 * Changes an existing task cannot take, refused at preview rather than half done at up:
 * phases that would migrate into the tables the task already holds, and a replacement whose
 * new task would find its predecessor's tables at the same destination.
 */
function existingTaskFailures(olds: Props, news: Props): CheckFailure[] {
    const before = inputsOf(olds);
    if (!Array.isArray(before.migrationTypes)) return [];
    const failures: CheckFailure[] = [];
    const had = new Set(before.migrationTypes as string[]);
    if (Array.isArray(news.migrationTypes)) {
        const added = (news.migrationTypes as unknown[]).filter((t) => (t === "schema" || t === "full") && !had.has(t));
        if (added.length) {
            failures.push({
                property: "migrationTypes",
                reason: `migrationTypes: adding ${added.map((t) => `"${String(t)}"`).join(" and ")} to an existing task would migrate into the tables it already holds; ` +
                    "create another MigrationTask (another resource name) into an empty destination database, or remove the task first (pulumi destroy --target) and drop its tables",
            });
        }
    }
    const id = (p: Props, side: string) => {
        const c = p[side];
        const v = c !== null && typeof c === "object" ? (c as Props).connectionId : undefined;
        return typeof v === "string" && v !== UNKNOWN ? v : undefined;
    };
    const [srcBefore, srcAfter, dstBefore, dstAfter] = [id(before, "source"), id(news, "source"), id(before, "destination"), id(news, "destination")];
    if (srcBefore && srcAfter && srcBefore !== srcAfter && dstBefore && dstBefore === dstAfter && (had.has("schema") || had.has("full"))) {
        failures.push({
            property: "source",
            reason: "source: another source connection replaces the task, and the new task would find the tables this one migrated at the same destination " +
                "(its precheck fails on conflicting tables, after the old task was released). Point the task at another destination database (or renameTo), " +
                "or remove it first (pulumi destroy --target <the task's urn>), drop its destination tables, then pulumi up",
        });
    }
    return failures;
}

export async function check(olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
    // Only the program's arguments are judged: not the provider reference, not outputs of an earlier run.
    const args = inputsOf(news);
    const result = validate(taskArgsSchema, args);
    const failures = [...(result.ok ? [] : result.failures), ...capabilityFailures(args), ...taskFieldFailures(args), ...existingTaskFailures(olds ?? {}, args)];
    for (const side of ["source", "destination"] as const) {
        const conn = args[side];
        if (conn && typeof conn === "object") {
            const { connectionId: _id, ...connectionArgs } = conn as Props;
            const r = validate(connectionArgsSchema, connectionArgs);
            if (!r.ok) failures.push(...r.failures.map((f) => ({ property: `${side}.${f.property}`, reason: `${side}.${f.reason}` })));
            failures.push(...connectionFieldFailures(conn as Props, `${side}.`));
        }
    }
    return { inputs: news, failures };
}

function engineSpec(taskId: string, inputs: Props): EngineTaskSpec {
    const task = taskArgsSchema.parse(inputsOf(inputs)) as TaskSpec;
    const conn = (side: "source" | "destination") => {
        const { connectionId, ...raw } = inputs[side] as Props;
        return { ...(connectionArgsSchema.parse(raw) as ConnectionSpec), connectionId: String(connectionId) };
    };
    return { taskId, task, source: conn("source"), destination: conn("destination") };
}

function secretsOf(inputs: Props): string[] {
    const out: string[] = [];
    for (const side of ["source", "destination"]) {
        const c = (inputs[side] ?? {}) as Props;
        for (const k of ["password", "accessKeySecret"]) if (typeof c[k] === "string" && c[k]) out.push(c[k] as string);
    }
    return out;
}

/** Inputs the SDK adds that are not the program's arguments: never validated nor diffed. */
const HIDDEN_INPUTS = ["__provider", TASK_KEY];

function inputsOf(props: Props): Props {
    return Object.fromEntries(Object.entries(props).filter(([k]) => !HIDDEN_INPUTS.includes(k) && !OUTPUT_KEYS.includes(k)));
}

/** The stack's config reaches the hooks through the dynamic provider's configure. */
export async function configure(config: ProviderConfig): Promise<void> {
    configureTaskEngine(config);
}

function outputsOf(s: TaskStatus, generation?: number): Props {
    return {
        taskId: s.taskId,
        generation: generation ?? null,
        status: s.phase,
        precheck: s.precheck ?? null,
        tables: s.tables,
        snapshotPosition: s.snapshotPosition ?? null,
        snapshotBinlogPosition: s.snapshotPosition ? formatPosition(s.snapshotPosition) : "",
        rowsCopied: s.rowsCopied,
        dirtyRows: s.dirtyRows,
        dirtySample: s.dirtySample,
        notes: s.notes,
        error: s.error ?? "",
        retrying: s.retrying ?? null,
        incremental: s.incremental
            ? {
                position: s.incremental.position ? formatPosition(s.incremental.position) : "",
                latencySeconds: s.incremental.latencySeconds,
                caughtUp: s.incremental.caughtUp,
                changesApplied: s.incremental.changesApplied,
                transactionsApplied: s.incremental.transactionsApplied,
                skippedStatements: s.incremental.skippedStatements,
            }
            : null,
        latencySeconds: s.incremental?.latencySeconds ?? null,
    };
}

function progressLine(name: string, s: TaskStatus): string {
    const done = s.tables.filter((t) => t.state === "done").length;
    // No table count before there are tables ("prechecking: 0/0 tables" says nothing).
    const tables = s.tables.length ? `: ${done}/${s.tables.length} tables, ${s.rowsCopied.toLocaleString("en-US")} rows` : "";
    return `[pulumi-dts ${name}] ${s.phase}${tables}` +
        (s.rowsPerSecond ? ` (${s.rowsPerSecond.toLocaleString("en-US")} rows/s)` : "") +
        (s.dirtyRows ? `, ${s.dirtyRows} dirty rows skipped` : "") +
        (s.retrying ? `; retrying until ${s.retrying.windowEndsAt} after: ${s.retrying.error}` : "") +
        (s.incremental ? `; incremental: ${s.incremental.changesApplied.toLocaleString("en-US")} changes applied, latency ${s.incremental.latencySeconds} s` : "");
}

/**
 * Waits for the task's readiness, printing progress (the CLI shows provider stderr lines).
 * On failure or timeout the task is released, so no task keeps running that Pulumi does
 * not record, and the error carries what the user needs to fix.
 */
async function waitForTask(taskId: string, task: TaskSpec, secrets: string[], onFailure: "release" | "keep"): Promise<TaskStatus> {
    const waitFor = task.waitFor ?? defaultWaitFor(task);
    const deadline = Date.now() + task.waitTimeoutMinutes * 60_000;
    let lastPrint = 0;
    const engine = taskEngine();
    let s = (await engine.get(taskId)).status;
    for (;;) {
        if (reached(s, waitFor, task)) return s;
        if (s.phase === "precheck-failed" || s.phase === "failed") {
            // A new task that cannot start is released (Pulumi will not record it); an existing one
            // keeps its progress, so fixing the cause and running `pulumi up` again continues it.
            if (onFailure === "release") await engine.release(taskId).catch(() => undefined);
            const why = s.phase === "precheck-failed" && s.precheck
                ? `the precheck failed:\n${describeBlocking(s.precheck)}`
                : `the migration failed: ${s.error ?? "unknown error"}`;
            const after = onFailure === "release"
                ? `the task was released; data already written to the destination is kept; npx pulumi-dts logs ${taskId} shows its log (kept 7 days)`
                : "the task keeps its progress; fix the cause and run pulumi up again, or npx pulumi-dts task resume " + taskId;
            throw new Error(redact(`MigrationTask ${taskId}: ${why}\n(${after})`, secrets));
        }
        if (Date.now() > deadline) {
            if (onFailure === "release") await engine.release(taskId).catch(() => undefined);
            throw new Error(`MigrationTask ${taskId} did not reach "${waitFor}" within waitTimeoutMinutes (${task.waitTimeoutMinutes}); ` +
                (onFailure === "release" ? "it was stopped and released. " : "it keeps running in the engine. ") +
                `Raise waitTimeoutMinutes, or use waitFor: "started" and follow progress with npx pulumi-dts status.`);
        }
        if (Date.now() - lastPrint > 5000) {
            console.error(progressLine(taskId, s));
            lastPrint = Date.now();
        }
        s = await engine.poll(taskId, waitFor, Math.max(500, Math.min(deadline - Date.now(), 5000)));
    }
}

export async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
    const engine = taskEngine();
    const key = typeof inputs[TASK_KEY] === "string" ? inputs[TASK_KEY] as string : undefined;
    // Local tasks keep random ids (one engine home can hold stacks of the same names from
    // different directories); the service's come from the resource, for idempotent retries.
    const taskId = engine.remote && key ? `dts-${createHash("sha256").update(key).digest("hex").slice(0, 12)}` : `dts-${randomBytes(6).toString("hex")}`;
    const spec = engineSpec(taskId, inputs);
    const generation = await engine.submit(spec);
    const status = await waitForTask(taskId, spec.task, secretsOf(inputs), "release");
    return { id: taskId, outs: { ...inputsOf(inputs), ...outputsOf(status, generation) } };
}

/**
 * Update or replace by the field table (sdk/schema/task-fields.ts), which the engine's
 * update reads too. The CLI shows provider stderr, so each change's effect is printed:
 * `pulumi preview --diff` then says what will happen to the running task, not only that a
 * field changed. Unknown values (a connection being replaced) count as changed.
 */
export async function diff(id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
    const result = diffArguments(olds, news);
    if (result.changes) return result;
    // Unchanged arguments, but the task may have failed in the engine since the last up: then
    // up must not say "unchanged" and leave it dead. An update resumes it, and fails with the
    // task's error when the cause has not passed.
    const engine = taskEngine();
    const status = await engine.get(id).then((t) => t.status, (err) => {
        // The service refusing this stack (its token, its CA, its address) is the user's to fix
        // now, not a silent "no changes"; a local engine that is down just has nothing to add.
        if (engine.remote && err instanceof EngineError && err.code !== "not-found") throw err;
        return undefined;
    });
    if (status && (status.phase === "failed" || status.phase === "precheck-failed")) {
        console.error(`[pulumi-dts] ${id} has ${status.phase === "failed" ? "failed" : "failed its precheck"} in the engine` +
            `${status.error ? ` (${status.error.slice(0, 300)})` : ""}: pulumi up resumes it, and fails if the cause has not passed`);
        return { ...result, changes: true };
    }
    if (status?.retrying) console.error(retryingLine(id, status));
    return result;
}

/** The diff of the arguments alone, by the field table; prints each change's declared effect. */
export function diffArguments(olds: Props, news: Props): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
    const changes = classifyChanges(inputsOf(olds), inputsOf(news), { ignore: ["__provider"], unknown: UNKNOWN });
    const replaces = [...new Set(changes.filter((c) => c.behaviour === "replace").map((c) => c.path.split(/[.[]/)[0]))];
    for (const line of describeChanges(changes)) console.error(line);
    return { changes: changes.length > 0, replaces, deleteBeforeReplace: true };
}

function retryingLine(id: string, s: TaskStatus): string {
    return `[pulumi-dts] ${id} is retrying after a ${s.retrying!.kind} failure until ${s.retrying!.windowEndsAt}: ${s.retrying!.error.slice(0, 300)}`;
}

/** One line per distinct (field, behaviour): what `pulumi up` will do about it. */
export function describeChanges(changes: readonly FieldChange[]): string[] {
    const seen = new Set<string>();
    const out: string[] = [];
    for (const c of changes) {
        const key = `${c.field}\u0000${c.behaviour}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(`[pulumi-dts] ${c.path}: ${c.behaviour === "replace" ? "replaces the task" : c.behaviour === "restart" ? "restarts the task" : "applied live"}: ${c.effect}`);
    }
    return out;
}

export async function update(id: string, olds: Props, news: Props): Promise<{ outs: Props }> {
    const spec = engineSpec(id, news);
    // The generation this stack last saw: the service refuses the update when another pulumi up moved it meanwhile.
    const seen = typeof olds.generation === "number" ? olds.generation : undefined;
    const generation = await taskEngine().update(spec, seen);
    const status = await waitForTask(id, spec.task, secretsOf(news), "keep");
    return { outs: { ...inputsOf(news), ...outputsOf(status, generation) } };
}

export async function read(id: string, props: Props): Promise<{ id?: string; props: Props }> {
    try {
        const { status, generation } = await taskEngine().get(id);
        // refresh rewrites the resource's outputs, not the stack's: say it where the user looks.
        if (status.phase === "failed" || status.phase === "precheck-failed") {
            console.error(`[pulumi-dts] ${id} is ${status.phase}${status.error ? `: ${status.error.slice(0, 500)}` : ""} (pulumi up resumes it; npx pulumi-dts status ${id} shows it)`);
        } else if (status.retrying) {
            console.error(retryingLine(id, status));
        }
        return { id, props: { ...props, ...outputsOf(status, generation) } };
    } catch (err) {
        if (err instanceof EngineError && err.code === "not-found") {
            // The task no longer exists in the engine: tell Pulumi the resource is gone.
            return { id: undefined, props: {} };
        }
        throw err;
    }
}

export async function remove(id: string, _props: Props): Promise<void> {
    await taskEngine().release(id);
}
