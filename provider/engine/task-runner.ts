import { redact } from "../errors/connection-error";
import type { DatabaseObjects, Destination } from "./destination";
import { openDestination, openSource } from "./connectors";
import { buildMappings, type MappingResult, targetSchemaOf } from "./mapping";
import { IncrementalStream } from "./incremental/stream";
import { type BinlogPosition, formatPosition, type SourceRow, type SourceTable, type TableMapping } from "./model";
import { describeBlocking, runPrecheck } from "./precheck/run-precheck";
import { type PermanentFailure, type RetryState, RetryWindow } from "./retry";
import { type BulkSink, DataRejectedError, describeKey, RowRejectedError } from "./sink";
import type { Source, SourceSnapshot } from "./source";
import { emptyIncrementalStatus, type TableProgress, type TaskPhase, type TaskStatus } from "./status";
import type { Checkpoint, EngineTaskSpec, TableCheckpoint, TaskStore } from "./task-store";
import type { TableSelection, TaskSpec } from "../../sdk/schema/task";
import { classifyChanges, strongest } from "../../sdk/schema/task-fields";
import { RateLimiter } from "./throttle";

/** Parallel chunk copies. Each holds a source snapshot connection and a destination connection. */
const WORKERS = 4;
const DIRTY_SAMPLE = 20;

const tableKey = (m: TableMapping) => `${m.source.database}.${m.source.name}`;

const notStarted = (): TableCheckpoint => ({ schemaDone: false, chunks: null, indexesDone: false });

function isNotStarted(cp: TableCheckpoint | undefined): boolean {
    return cp === undefined || (!cp.schemaDone && cp.chunks === null && !cp.indexesDone);
}

/** The field table's view of a task: its arguments with the connections in place. */
function taskArguments(spec: EngineTaskSpec): Record<string, unknown> {
    return { ...spec.task, source: spec.source, destination: spec.destination };
}

/**
 * What decides a table's destination and contents (not its dml/ddl selection, which is
 * live): undefined when the task does not select the table.
 */
function selectionOf(task: TaskSpec, database: string, table: string): string | undefined {
    const db = task.objects.find((o) => o.database === database);
    if (!db) return undefined;
    const t = db.tables ? db.tables.find((x) => x.name === table) : {};
    if (!t) return undefined;
    const { dml: _dml, ddl: _ddl, ...mapping } = t as Partial<TableSelection>;
    return JSON.stringify({ database: db.renameTo ?? null, table: mapping, nameCase: task.nameCase });
}

/** The task's own snapshot, shared by the chunks read in it; `broken` once a read on it failed. */
interface SharedSnapshot {
    snapshot: SourceSnapshot;
    broken: boolean;
}

/** The task was stopped (release, update or engine shutdown); not a failure. */
class StoppedError extends Error implements PermanentFailure {
    readonly permanent = true;
}

/**
 * Runs one task through its phases: precheck, schema, full data (then, with the next
 * issue, incremental). Progress is checkpointed so a restarted engine continues where
 * the previous one stopped: prechecked tables are not prechecked again, created tables
 * are not created again, copied chunks are not copied again.
 */
export class TaskRunner {
    status: TaskStatus;
    private checkpoint: Checkpoint;
    private stopped = false;
    private running: Promise<void> | undefined;
    private rateSamples: { t: number; rows: number }[] = [];
    private persistTimer: NodeJS.Timeout | undefined;
    private readonly rowLimiter: RateLimiter;
    private readonly byteLimiter: RateLimiter;
    private readonly queryLimiter: RateLimiter;
    private inFlight = new Map<string, number>();
    /** Tables this run migrates from the start: the stream follows them under their new mapping. */
    private reloaded = new Set<string>();

    /**
     * `epoch`: the ownership lease the task runs under (engine service), the fencing token
     * its stream holds at the destination; absent in local mode, where the stream claims one
     * past the destination's highest.
     */
    constructor(private readonly store: TaskStore, private spec: EngineTaskSpec, private readonly ownership: { epoch?: number } = {}) {
        const now = new Date().toISOString();
        this.status = store.readStatus() ?? {
            taskId: spec.taskId, phase: "prechecking", tables: [], rowsCopied: 0, rowsPerSecond: 0,
            dirtyRows: 0, dirtySample: [], notes: [], startedAt: now, updatedAt: now,
        };
        this.checkpoint = store.readCheckpoint();
        const full = () => this.spec.task.throttle.full;
        this.rowLimiter = new RateLimiter(() => full()?.rps);
        this.byteLimiter = new RateLimiter(() => (full()?.mbps !== undefined ? full()!.mbps! * 1024 * 1024 : undefined));
        this.queryLimiter = new RateLimiter(() => full()?.sourceQps);
    }

    get taskId(): string {
        return this.spec.taskId;
    }

    isRunning(): boolean {
        return this.running !== undefined;
    }

    /** Starts (or resumes) the task unless it has finished. */
    start(): void {
        if (this.running) return;
        // Finished tasks run again only through update(), which resets the phase first.
        if (["completed", "released", "precheck-failed"].includes(this.status.phase)) return;
        this.stopped = false;
        this.status.error = undefined;
        // What the stream showed before the stop is stale until it applies again: no caught-up
        // (pulumi up would take a resumed stream for caught up before it reads anything).
        if (this.status.incremental) {
            this.status.incremental.caughtUp = false;
            this.status.incremental.lastSourceTime = undefined;
        }
        this.persistTimer = setInterval(() => this.persist(), 1000);
        this.running = this.run()
            .catch((err) => {
                if (err instanceof StoppedError || this.stopped) return;
                this.fail(err);
            })
            .finally(() => {
                clearInterval(this.persistTimer);
                this.running = undefined;
                this.persist();
            });
    }

    async stop(): Promise<void> {
        this.stopped = true;
        await this.running;
    }

    /**
     * New settings, as the field table (sdk/schema/task-fields.ts) declares: live fields are
     * read through this.spec at their next use (the stream reads the task through a getter),
     * restart fields stop the task and run it again from its checkpoint, after forgetting the
     * progress of every table the change maps differently. Replace fields never reach here
     * (Pulumi replaces the task), so one that does is refused rather than half applied.
     */
    async update(spec: EngineTaskSpec): Promise<void> {
        const changes = classifyChanges(taskArguments(this.spec), taskArguments(spec));
        const replaced = changes.filter((c) => c.behaviour === "replace");
        if (replaced.length) {
            throw new Error(`${replaced.map((c) => c.path).join(", ")} cannot change on an existing task (${replaced[0].effect}); Pulumi replaces the task for such a change`);
        }
        for (const c of changes) this.log(`update: ${c.path} (${c.behaviour}): ${c.effect}`);
        const unfinished = this.status.phase === "failed" || this.status.phase === "precheck-failed";
        if (strongest(changes) !== "restart" && !unfinished) {
            this.spec = spec;
            this.store.writeSpec(spec);
            return;
        }
        await this.stop();
        const had = new Set(this.spec.task.migrationTypes);
        const has = new Set(spec.task.migrationTypes);
        const added = [...has].filter((t) => !had.has(t));
        if (added.includes("schema") || added.includes("full")) {
            // check() refuses this at preview; an engine reached otherwise refuses it too, before changing anything.
            this.start();
            throw new Error(`migrationTypes: adding ${added.filter((t) => t !== "incremental").join(" and ")} to an existing task would migrate into the tables it already holds; ` +
                "create another MigrationTask (another resource name) into an empty destination database instead");
        }
        if (had.has("incremental") && !has.has("incremental")) {
            // The stream stops for good: its checkpoint row and heartbeat go, the task completes with the data it has.
            await this.forgetStream();
            this.checkpoint.streamDatabases = undefined;
            this.status.incremental = undefined;
            this.log("update: incremental migration removed: the stream is released, the destination keeps its data");
        }
        if (!had.has("incremental") && has.has("incremental") && this.checkpoint.snapshotTaken && had.has("full")) {
            this.checkpoint.streamAddedAfterLoad = true;
        }
        this.forgetRemappedTables(this.spec.task, spec.task);
        if (changes.some((c) => c.field === "migrateEvents" || c.field === "triggers")) this.checkpoint.objectsDone = false;
        this.spec = spec;
        this.store.writeSpec(spec);
        this.status.phase = "prechecking";
        this.persist();
        this.start();
    }

    /**
     * A table the new selection no longer takes is forgotten, so selecting it again later
     * loads it again (the stream passed its changes over meanwhile). A table it maps
     * differently (renamed target, other columns or filter, another name case) goes back to
     * "not started": it is prechecked, created and loaded again under its new mapping.
     */
    private forgetRemappedTables(prev: TaskSpec, next: TaskSpec): void {
        for (const key of Object.keys(this.checkpoint.tables)) {
            const dot = key.indexOf(".");
            const [db, table] = [key.slice(0, dot), key.slice(dot + 1)];
            const before = selectionOf(prev, db, table);
            const after = selectionOf(next, db, table);
            if (before === after) continue;
            if (after === undefined) {
                delete this.checkpoint.tables[key];
                this.status.tables = this.status.tables.filter((t) => t.source !== key);
                this.log(`update: ${key} is no longer selected; its destination table keeps its data`);
            } else {
                this.checkpoint.tables[key] = notStarted();
                this.status.tables = this.status.tables.filter((t) => t.source !== key);
                this.log(`update: ${key} is mapped differently; it is migrated again under the new mapping`);
            }
        }
    }

    private log(line: string): void {
        this.store.log(redact(line, this.secrets()));
    }

    private secrets(): string[] {
        const s: string[] = [];
        for (const c of [this.spec.source, this.spec.destination]) {
            if ("password" in c && c.password) s.push(c.password);
            if ("accessKeySecret" in c && c.accessKeySecret) s.push(c.accessKeySecret);
        }
        return s;
    }

    private setPhase(phase: TaskPhase): void {
        if (this.status.phase !== phase) this.log(`phase ${phase}`);
        this.status.phase = phase;
        this.persist();
    }

    private persist(): void {
        const now = Date.now();
        const total = this.status.tables.reduce((n, t) => n + t.rowsCopied, 0);
        this.rateSamples.push({ t: now, rows: total });
        while (this.rateSamples.length > 2 && now - this.rateSamples[0].t > 5000) this.rateSamples.shift();
        const first = this.rateSamples[0];
        this.status.rowsCopied = total;
        this.status.rowsPerSecond = now > first.t ? Math.round(((total - first.rows) * 1000) / (now - first.t)) : 0;
        this.status.updatedAt = new Date(now).toISOString();
        this.store.writeStatus(this.status);
        this.store.writeCheckpoint(this.checkpoint);
    }

    private fail(err: unknown): void {
        const msg = redact(err instanceof Error ? err.message : String(err), this.secrets());
        this.status.error = msg;
        this.status.phase = "failed";
        this.log(`failed: ${msg}`);
        this.persist();
    }

    private checkStopped(): void {
        if (this.stopped) throw new StoppedError("stopped");
    }

    /**
     * Runs an operation, retrying within the task's windows by the one failure
     * classification (retry.ts) the stream uses too; the status shows the failure and how
     * long the window has left while it retries.
     */
    private async withRetry<T>(what: string, op: () => Promise<T>): Promise<T> {
        const window = new RetryWindow(() => ({ connection: this.spec.task.retry.connectionMinutes, other: this.spec.task.retry.otherMinutes }));
        for (;;) {
            this.checkStopped();
            try {
                const result = await op();
                if (this.status.retrying) this.setRetrying(undefined);
                return result;
            } catch (err) {
                if (this.stopped) throw err;
                const decision = window.next(err);
                if (!decision.retry) {
                    if (this.status.retrying) this.setRetrying(undefined);
                    throw err;
                }
                this.setRetrying({ ...decision.state, error: `${what}: ${decision.state.error}` });
                this.log(`${what}: ${decision.state.error}; retrying in ${decision.waitMs} ms (${decision.state.kind} failure, retried until ${decision.state.windowEndsAt})`);
                await new Promise((r) => setTimeout(r, decision.waitMs));
            }
        }
    }

    private setRetrying(state: RetryState | undefined): void {
        if (state) this.status.retrying = { ...state, error: redact(state.error, this.secrets()) };
        else delete this.status.retrying;
        this.persist();
    }

    /** The task's mappings for this destination: its name case, and the row key where the destination lets the task choose it. */
    private mappingsAt(dest: Destination, task: TaskSpec, tables: Map<string, SourceTable[]>): MappingResult {
        const built = buildMappings(task, dest.defaultNameCase, tables);
        if (!dest.keyFor) return built;
        return { ...built, mappings: built.mappings.map((m) => ({ ...m, key: dest.keyFor!(m, task) })) };
    }

    private async run(): Promise<void> {
        const task = this.spec.task;
        this.log(`run: ${task.migrationTypes.join("+")} to ${this.spec.destination.engine}`);
        const source = await this.withRetry("connect to source", () => openSource(this.spec.source));
        const dest = await this.withRetry("connect to destination", () => openDestination(this.spec.destination));
        if (dest.targetName) this.targetName = (m) => dest.targetName!(m);
        try {
            const nameCase = dest.defaultNameCase;
            const tables = await source.tables(task.objects.map((o) => o.database));
            const built = this.mappingsAt(dest, task, tables);
            let { mappings, problems } = built;
            const streamed = this.checkpoint.streamDatabases;
            if (streamed) {
                // The stream is ahead of nothing and behind the source: tables the source gained or
                // renamed since its position are the stream's to create; tables it follows that the
                // source no longer has are the stream's to rename or drop when it gets there.
                mappings = mappings.filter((m) => this.checkpoint.tables[tableKey(m)] || !streamed.includes(m.source.database));
                problems = problems.filter((p) => !(p.id === "objects-exist" && p.object !== undefined && this.checkpoint.tables[p.object]));
            }
            this.syncTableProgress(mappings);

            // Tables already prechecked (and perhaps already migrated: their destination tables are
            // ours now) are not prechecked again; tables added by an update are.
            // Not-started entries too: tables an update maps differently start over from their precheck.
            const fresh = mappings.filter((m) => isNotStarted(this.checkpoint.tables[tableKey(m)]));
            this.reloaded = new Set(fresh.map(tableKey));
            if (!this.checkpoint.precheckPassed || fresh.length > 0 || problems.length > 0) {
                this.setPhase("prechecking");
                const report = await runPrecheck({
                    task, source, destination: dest,
                    oversized: dest.valueLimits ? await source.oversizedValues(fresh, dest.valueLimits, (m) => dest.keyFor?.(m, task) ?? m.key ?? []) : [],
                    mappings: fresh,
                    selectionProblems: problems, filterErrors: await source.filterErrors(mappings),
                    // Schema migration makes such columns nullable at a destination without zero dates, except
                    // key columns; a table the user created keeps whatever NOT NULL it has.
                    zeroDateColumns: dest.keepsZeroDates || !task.migrationTypes.includes("full") ? [] : await source.zeroDatesInNotNullColumns(fresh,
                        (m, column) => !m.columns.find((c) => c.source.name === column)?.zeroDate &&
                            (!task.migrationTypes.includes("schema") || (m.source.primaryKey ?? m.key ?? []).includes(column))),
                });
                this.status.precheck = report;
                if (!report.passed) {
                    this.log(`precheck failed:\n${describeBlocking(report)}`);
                    this.setPhase("precheck-failed");
                    return;
                }
                this.checkpoint.precheckPassed = true;
            }
            for (const m of mappings) this.checkpoint.tables[tableKey(m)] ??= { schemaDone: false, chunks: null, indexesDone: false };
            const incremental = task.migrationTypes.includes("incremental");
            if (incremental && !task.migrationTypes.includes("full") && !this.checkpoint.snapshotPosition) {
                // Incremental only: changes from now on (DTS: the destination already holds the data).
                const snap = await this.withRetry("read the binlog position", () => source.openSnapshot({}));
                await snap.close();
                if (!snap.position.file) throw new Error("the source has no binary log: incremental migration needs log_bin ON");
                this.checkpoint.snapshotPosition = snap.position;
                this.log(`incremental start position ${formatPosition(snap.position)}`);
                this.persist();
            }

            if (task.migrationTypes.includes("schema")) {
                this.setPhase("migrating-schema");
                // Databases exist with their first table otherwise: an empty one selected whole must
                // exist too, for its views and routines and for the tables the source creates later.
                for (const o of task.objects.filter((x) => !x.tables)) {
                    const target = targetSchemaOf(task, o.database, nameCase);
                    await this.withRetry(`create ${target}`, async () => dest.createSchema(target, await source.charset(o.database)));
                }
                for (const m of mappings) {
                    const cp = this.checkpoint.tables[tableKey(m)];
                    if (cp.schemaDone) continue;
                    this.progress(m).state = "schema";
                    const notes = await this.withRetry(`create ${m.targetSchema}.${m.targetTable}`, async () =>
                        dest.createTable(m, task, await source.charset(m.source.database)));
                    this.note(notes);
                    cp.schemaDone = true;
                    this.progress(m).state = "pending";
                    this.persist();
                }
            }

            if (task.migrationTypes.includes("full")) {
                this.setPhase("migrating-full");
                await this.fullLoad(mappings, source, dest);
            } else {
                for (const m of mappings) await this.finishTable(m, mappings, dest);
            }

            if (task.migrationTypes.includes("schema") && !this.checkpoint.objectsDone) {
                // "Selecting tables or columns excludes other object types" (seed 001): only whole databases bring views and routines.
                const whole = task.objects.filter((o) => !o.tables);
                if (whole.length && dest.migrateObjects) {
                    const objects: DatabaseObjects[] = [];
                    for (const o of whole) {
                        const target = targetSchemaOf(task, o.database, nameCase);
                        objects.push(await source.objects(o.database, target, task.migrateEvents));
                    }
                    this.note(await this.withRetry("views, routines and triggers", () => dest.migrateObjects!(objects, task)));
                } else if (whole.length && dest.objectsNotMigrated) {
                    this.note([dest.objectsNotMigrated]);
                }
                this.checkpoint.objectsDone = true;
            }
            if (incremental) {
                if (this.checkpoint.streamAddedAfterLoad && !this.checkpoint.streamDatabases) {
                    const keyless = mappings.filter((m) => !m.key).map(tableKey);
                    if (keyless.length) {
                        throw Object.assign(new Error(`incremental migration was added after the full load, so the stream must replay changes since the load's position, ` +
                            `which tables without a primary key or NOT NULL unique key cannot take exactly (${keyless.join(", ")}): ` +
                            "remove \"incremental\" again, or migrate these tables in a new task that has incremental from the start, or give them a primary key"), { permanent: true });
                    }
                    this.log(`stream starts at the full load's position ${this.checkpoint.snapshotPosition ? formatPosition(this.checkpoint.snapshotPosition) : "(none)"}: changes since then are replayed`);
                }
                const start = this.checkpoint.snapshotPosition;
                if (!start) throw new Error("the full load recorded no binlog position (the source had no binary log), so incremental migration cannot start");
                await this.streamChanges(mappings, source, dest, start);
                return;
            }
            this.status.finishedAt = new Date().toISOString();
            this.setPhase("completed");
            this.log(`completed: ${this.status.rowsCopied} rows${this.status.dirtyRows ? `, ${this.status.dirtyRows} dirty rows skipped` : ""}`);
        } finally {
            await source.close();
            await dest.close();
        }
    }

    /** Incremental migration: runs until the task is stopped or released. */
    private async streamChanges(mappings: TableMapping[], source: Source, dest: Destination, start: BinlogPosition): Promise<void> {
        this.status.incremental ??= emptyIncrementalStatus();
        const whole = this.spec.task.objects.filter((o) => !o.tables).map((o) => o.database);
        const known = this.checkpoint.streamDatabases ?? [];
        // Databases selected whole from now on: tables they gain on the source are created by the stream.
        // (A database newly added to the selection was just loaded in full with its current tables.)
        this.checkpoint.streamDatabases = [...new Set([...known.filter((d) => whole.includes(d)), ...whole])];
        this.persist();
        this.setPhase("running");
        const stream = new IncrementalStream({
            taskId: this.spec.taskId,
            task: () => this.spec.task,
            ...(this.ownership.epoch !== undefined ? { epoch: this.ownership.epoch } : {}),
            changes: source.changes,
            destination: dest,
            mappings,
            reloaded: (database, table) => this.reloaded.has(`${database}.${table}`),
            retrying: (state) => this.setRetrying(state),
            start,
            status: this.status.incremental,
            stopped: () => this.stopped,
            log: (line) => this.log(line),
            note: (line) => this.note([line]),
            rejected: (m, row, reason) => this.rejected(m, row, reason),
            introspect: async (db, table) => (await source.tables([db])).get(db)?.find((t) => t.name === table) ?? null,
            mappingFor: (table) => this.mappingsAt(dest, this.spec.task, new Map([[table.database, [table]]])).mappings
                .find((m) => m.source.database === table.database && m.source.name === table.name) ?? null,
            migrateObjects: async (database) => {
                const sel = this.spec.task.objects.find((o) => o.database === database && !o.tables);
                if (!sel || !dest.migrateObjects) return null;
                const target = targetSchemaOf(this.spec.task, database, dest.defaultNameCase);
                return dest.migrateObjects([await source.objects(database, target, this.spec.task.migrateEvents)], this.spec.task);
            },
            tableOwnership: (adopt, release) => {
                if (release) {
                    const key = `${release.database}.${release.name}`;
                    const cp = this.checkpoint.tables[key];
                    delete this.checkpoint.tables[key];
                    if (adopt) this.checkpoint.tables[tableKey(adopt)] = cp ?? { schemaDone: true, chunks: [], indexesDone: true };
                } else if (adopt) {
                    this.checkpoint.tables[tableKey(adopt)] = { schemaDone: true, chunks: [], indexesDone: true };
                }
                this.persist();
            },
            createSchema: async (database) => {
                await dest.createSchema(targetSchemaOf(this.spec.task, database, dest.defaultNameCase), await source.charset(database));
            },
            refusals: async (m) => {
                const key = tableKey(m);
                const items = [...(await dest.precheck([m], this.spec.task)), ...source.changeCaptureProblems(this.spec.task, [m])];
                // Only what is about this table: the destination's own items (privileges) were judged at the task's precheck.
                return items.filter((i) => i.outcome === "failed" && i.object !== undefined && (i.object === key || i.object.startsWith(`${key}.`) || i.object.startsWith(`${key} `)))
                    .map((i) => `${i.object}: ${i.detail ?? i.title}`);
            },
            createTable: async (m) => {
                // Replayed after a crash: the table may be there already (with the rows the stream wrote),
                // its indexes not yet if the crash came between the two; createIndexes skips those that exist.
                const stored = dest.storedTable?.(m, this.spec.task) ?? { schema: m.targetSchema, table: m.targetTable };
                const notes = await dest.tableExists(stored.schema, stored.table)
                    ? []
                    : await dest.createTable(m, this.spec.task, await source.charset(m.source.database));
                return [...notes, ...(await dest.createIndexes(m, [m], this.spec.task))];
            },
        });
        await stream.run();
    }

    /** After release: the stream's checkpoint row at the destination goes too (its data stays). */
    async forgetStream(): Promise<void> {
        if (!this.spec.task.migrationTypes.includes("incremental")) return;
        try {
            const dest = await openDestination(this.spec.destination);
            try {
                await dest.forgetStream(this.spec.taskId);
            } finally {
                await dest.close();
            }
        } catch (err) {
            this.log(`release: could not remove the stream checkpoint at the destination: ${(err as Error).message}`);
        }
        // What the task left at the source (its heartbeat row); best effort, as before a release.
        const source = await openSource(this.spec.source).catch(() => undefined);
        if (source) {
            await source.forgetTask(this.spec.task, this.spec.taskId).catch(() => undefined);
            await source.close();
        }
    }

    private note(notes: string[]): void {
        for (const n of notes) if (!this.status.notes.includes(n)) this.status.notes.push(n);
    }

    /** How the status names a table at the destination (set once the destination is open). */
    private targetName: (m: TableMapping) => string = (m) => `${m.targetSchema}.${m.targetTable}`;

    private syncTableProgress(mappings: TableMapping[]): void {
        const old = new Map(this.status.tables.map((t) => [t.source, t]));
        this.status.tables = mappings.map((m) => old.get(tableKey(m)) ?? {
            source: tableKey(m), target: this.targetName(m), state: "pending",
            rowsCopied: 0, rowsEstimated: m.source.estimatedRows, chunksDone: 0, chunksTotal: 0,
        });
    }

    private progress(m: TableMapping): TableProgress {
        return this.status.tables.find((t) => t.source === tableKey(m))!;
    }

    private async fullLoad(mappings: TableMapping[], source: Source, dest: Destination): Promise<void> {
        const incremental = this.spec.task.migrationTypes.includes("incremental");
        // Keyless tables cannot be replayed idempotently (a change applied twice doubles a row),
        // so they are read in the task's own snapshot, exactly at the stream's start position,
        // instead of in chunk snapshots taken later. Keyed tables keep their parallel snapshots.
        const keylessPending = () => mappings.filter((m) => !m.key && this.checkpoint.tables[tableKey(m)].chunks?.some((c) => c.state !== "done") !== false);
        let taskSnapshot: SourceSnapshot | undefined;
        // The task's position: taken before any chunk snapshot, so every chunk is at or after it.
        if (!this.checkpoint.snapshotTaken) {
            const snap = await this.withRetry("open snapshot", () => source.openSnapshot({ task: { spec: this.spec.task, taskId: this.spec.taskId } }));
            let keep = false;
            try {
                if (snap.risk && incremental) this.note([snap.risk]);
                if (snap.position.file) {
                    this.checkpoint.snapshotPosition = snap.position;
                    this.status.snapshotPosition = snap.position;
                    this.log(`snapshot position ${formatPosition(snap.position)} (${snap.method})`);
                } else {
                    this.note(["the source has no binary log, so the snapshot has no binlog position (incremental migration would need one)"]);
                }
                for (const m of mappings) {
                    const cp = this.checkpoint.tables[tableKey(m)];
                    if (!cp.chunks) cp.chunks = await snap.planChunks(m);
                }
                this.checkpoint.snapshotTaken = true;
                const keyless = incremental ? keylessPending() : [];
                if (keyless.length && snap.exact) {
                    keep = true;
                    taskSnapshot = snap;
                } else if (keyless.length) {
                    // MySQL's snapshot may already hold transactions logged after the position (the barrier proves only the other direction).
                    this.note([`tables without a primary key or NOT NULL unique key (${keyless.map(tableKey).join(", ")}) are read in the task's snapshot, ` +
                        `whose position on this server is not exact (${snap.method}): a transaction committed while the snapshot opened may be applied twice to them`]);
                }
            } finally {
                if (!keep) await snap.close();
            }
            this.persist();
        } else if (incremental && keylessPending().length) {
            this.note([`tables without a primary key or NOT NULL unique key (${keylessPending().map(tableKey).join(", ")}) were copied after the engine restarted, ` +
                "outside the task's snapshot: changes made to them between the task's start and the copy may be applied twice"]);
        }
        try {
            await this.copyTables(mappings, source, dest, taskSnapshot);
        } finally {
            if (taskSnapshot) await taskSnapshot.close();
        }
    }

    private async copyTables(mappings: TableMapping[], source: Source, dest: Destination, taskSnapshot: SourceSnapshot | undefined): Promise<void> {
        const missing = mappings.filter((m) => !this.checkpoint.tables[tableKey(m)].chunks);
        if (missing.length) {
            // Tables added to a running or finished task: planned in a snapshot of their own.
            const snap = await this.withRetry("open snapshot", () => source.openSnapshot({}));
            try {
                for (const m of missing) this.checkpoint.tables[tableKey(m)].chunks = await snap.planChunks(m);
            } finally {
                await snap.close();
            }
        }
        const queue: { m: TableMapping; i: number }[] = [];
        // Read one after the other in the task's snapshot (one connection, one query at a time).
        const exactQueue: { m: TableMapping; i: number }[] = [];
        const perTable: { m: TableMapping; i: number }[][] = [];
        const remaining = new Map<string, number>();
        for (const m of mappings) {
            const cp = this.checkpoint.tables[tableKey(m)];
            const p = this.progress(m);
            p.chunksTotal = cp.chunks!.length;
            p.chunksDone = cp.chunks!.filter((c) => c.state === "done").length;
            p.rowsCopied = cp.chunks!.reduce((n, c) => n + (c.state === "done" ? c.rows : 0), 0);
            const todo = cp.chunks!.map((c, i) => ({ c, i })).filter(({ c }) => c.state !== "done");
            remaining.set(tableKey(m), todo.length);
            if (taskSnapshot && !m.key) exactQueue.push(...todo.map(({ i }) => ({ m, i })));
            else perTable.push(todo.map(({ i }) => ({ m, i })));
        }
        // Round robin over tables: parallel workers then write different tables, each in key
        // order (appending to its B-tree), instead of four ranges of one table at once.
        for (let round = 0; perTable.some((t) => round < t.length); round++) {
            for (const t of perTable) if (round < t.length) queue.push(t[round]);
        }
        for (const m of mappings) if (remaining.get(tableKey(m)) === 0) await this.finishTable(m, mappings, dest);

        const shared = taskSnapshot ? { snapshot: taskSnapshot, broken: false } : undefined;
        const worker = async (jobs: { m: TableMapping; i: number }[], snapshot?: SharedSnapshot) => {
            let sink: BulkSink | undefined;
            try {
                for (;;) {
                    const job = jobs.shift();
                    if (!job) return;
                    this.checkStopped();
                    sink = await this.copyChunk(job.m, job.i, sink, dest, source, snapshot);
                    const left = remaining.get(tableKey(job.m))! - 1;
                    remaining.set(tableKey(job.m), left);
                    if (left === 0) {
                        // Indexes are built on a connection of their own while this worker copies the
                        // next chunk, so tables that finish together build theirs side by side (and no
                        // two workers share the destination's one connection).
                        const built = this.finishTable(job.m, mappings, dest, true);
                        built.catch(() => undefined); // awaited below; not an unhandled rejection meanwhile
                        indexing.push(built);
                    }
                }
            } finally {
                await sink?.close();
            }
        };
        const indexing: Promise<void>[] = [];
        const workers = Array.from({ length: Math.min(dest.loadWorkers?.(this.spec.task) ?? WORKERS, Math.max(1, queue.length)) }, () => worker(queue));
        if (exactQueue.length) workers.push(worker(exactQueue, shared));
        const results = await Promise.allSettled(workers);
        results.push(...(await Promise.allSettled(indexing)));
        const failed = results.find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
        if (failed) throw failed.reason;
    }

    /** Secondary indexes and foreign keys once a table's data is in. */
    private async finishTable(m: TableMapping, all: TableMapping[], dest: Destination, ownConnection = false): Promise<void> {
        const cp = this.checkpoint.tables[tableKey(m)];
        const p = this.progress(m);
        if (!cp.indexesDone && this.spec.task.migrationTypes.includes("schema")) {
            p.state = "indexing";
            this.note(await this.withRetry(`indexes of ${p.target}`, async () => {
                const d = ownConnection ? await openDestination(this.spec.destination) : dest;
                try {
                    return await d.createIndexes(m, all, this.spec.task);
                } finally {
                    if (d !== dest) await d.close();
                }
            }));
        }
        cp.indexesDone = true;
        p.state = "done";
        this.persist();
    }

    private async copyChunk(
        m: TableMapping, index: number, sink: BulkSink | undefined, dest: Destination, source: Source, snapshot?: SharedSnapshot,
    ): Promise<BulkSink | undefined> {
        const key = tableKey(m);
        const cp = this.checkpoint.tables[key];
        const chunk = cp.chunks![index];
        const p = this.progress(m);
        p.state = "copying";
        let redo = chunk.state === "started";
        this.log(`copy ${key} chunk ${index + 1}/${cp.chunks!.length}${redo ? " (redo: started before a stop)" : ""}`);
        chunk.state = "started";
        this.persist();
        let isolateRows = false;
        const flightKey = `${key}#${index}`;
        const range = cp.chunks!.length > 1 ? { lo: chunk.lo, hi: chunk.hi } : null;
        const throttle = async (rows: SourceRow[]) => {
            const stopped = () => this.stopped;
            await this.rowLimiter.take(rows.length, stopped);
            if (this.spec.task.throttle.full?.mbps !== undefined) {
                let bytes = 0;
                for (const r of rows) for (const v of r) bytes += v === null ? 1 : v.length;
                await this.byteLimiter.take(bytes, stopped);
            }
            this.checkStopped();
        };
        const attempt = async (target: BulkSink): Promise<number> => {
            this.inFlight.set(flightKey, 0);
            await this.queryLimiter.take(1, () => this.stopped);
            try {
                return await target.writeChunk({
                    mapping: m, range, redo, conflict: this.spec.task.conflictingTables === "ignore-and-proceed" ? "keep-existing" : "error",
                    ...(redo && chunk.sinkState !== undefined ? { sinkState: chunk.sinkState } : {}),
                    recordSinkState: async (state) => {
                        chunk.sinkState = state;
                        this.persist();
                        await this.store.persisted();
                    },
                    batches: source.readChunk(m, range, this.spec.task, throttle, snapshot && !snapshot.broken ? snapshot.snapshot : undefined),
                    isolateRows,
                    onRejected: (row, reason) => this.rejected(m, row, reason),
                    onProgress: (n) => {
                        this.inFlight.set(flightKey, (this.inFlight.get(flightKey) ?? 0) + n);
                        p.rowsCopied += n;
                    },
                });
            } catch (err) {
                p.rowsCopied -= this.inFlight.get(flightKey) ?? 0;
                redo = true;
                if (snapshot && !snapshot.broken) {
                    // A failed read may leave the shared connection mid-result: later reads get snapshots of their own.
                    snapshot.broken = true;
                    this.note([`${key} was copied again outside the task's snapshot after an error (${(err as Error).message}): ` +
                        "changes made to it between the task's start and the copy may be applied twice (it has no primary key or NOT NULL unique key)"]);
                }
                throw err;
            } finally {
                this.inFlight.delete(flightKey);
            }
        };
        await this.withRetry(`copy ${key} chunk ${index + 1}/${cp.chunks!.length}`, async () => {
            sink ??= await dest.openSink(() => this.spec.task);
            let rows: number;
            try {
                rows = await attempt(sink);
            } catch (err) {
                if (!(err instanceof DataRejectedError) || isolateRows) {
                    await sink.close();
                    sink = undefined;
                    throw err;
                }
                // Find the refused rows one by one; the dirty-data policy decides what happens to them.
                this.log(`${key} chunk ${index + 1}: ${err.message}; retrying row by row`);
                isolateRows = true;
                rows = await attempt(sink);
            }
            chunk.rows = rows;
            chunk.state = "done";
            chunk.sinkState = undefined;
            p.chunksDone++;
            this.persist();
        });
        return sink;
    }

    private rejected(m: TableMapping, row: SourceRow, reason: string): void {
        const table = tableKey(m);
        const key = describeKey(m, row);
        if (this.spec.task.dirtyData === "block") throw new RowRejectedError(table, key, reason);
        this.store.appendDirty({ table, key, error: reason });
        this.status.dirtyRows++;
        if (this.status.dirtySample.length < DIRTY_SAMPLE) this.status.dirtySample.push({ table, key, error: reason });
    }
}

