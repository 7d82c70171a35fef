/**
 * The task files of the engine home across engine versions: files the previous engine wrote
 * (no version, the bare payload) are read and upgraded in memory, the current format round-
 * trips, and a file from a newer engine or a damaged one is refused with an error naming the
 * task, the file and the field, never run over. The fixtures are files as engine 0.1.0 wrote
 * them (TaskStore: JSON.stringify(value, null, 1) of the spec, status and checkpoint).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Engine } from "../../provider/engine/engine";
import { EngineRequestError } from "../../provider/engine/control/server";
import { type EngineHome, engineHome, ensureHome } from "../../provider/engine/home";
import type { TaskStatus } from "../../provider/engine/status";
import { TaskFileError, TaskStore } from "../../provider/engine/task-store";
import { checkpointFile, specFile, statusFile } from "../../provider/engine/task-store-format";
import { UnreadableTask } from "../../provider/engine/unreadable-task";

const TASK = "dts-0a1b2c3d4e5f";

const previousSpec = `{
 "taskId": "dts-0a1b2c3d4e5f",
 "task": {
  "source": {
   "connectionId": "src",
   "engine": "mariadb"
  },
  "destination": {
   "connectionId": "dst",
   "engine": "postgresql"
  },
  "migrationTypes": [
   "schema",
   "full",
   "incremental"
  ],
  "objects": [
   {
    "database": "shop",
    "tables": [
     {
      "name": "orders"
     },
     {
      "name": "customers",
      "renameTo": "clients"
     }
    ]
   }
  ],
  "conflictingTables": "precheck-and-report",
  "dirtyData": "block",
  "nameCase": "dts-default",
  "migrateEvents": false,
  "triggers": "after-full",
  "onlineDdl": "none",
  "retry": {
   "connectionMinutes": 720,
   "otherMinutes": 10
  },
  "throttle": {},
  "heartbeat": {
   "enabled": true,
   "table": "dts_heartbeat.heartbeat",
   "intervalSeconds": 1
  },
  "floatPrecision": {
   "float": 38,
   "double": 308
  },
  "verification": {
   "mode": "none",
   "samplePercent": 100,
   "incrementalIntervalMinutes": 0
  },
  "ignorePrecheckAlerts": [],
  "waitTimeoutMinutes": 180,
  "caughtUpLatencySeconds": 5
 },
 "source": {
  "engine": "mariadb",
  "host": "127.0.0.1",
  "port": 3306,
  "user": "dts",
  "password": "source-Secret-1",
  "tls": {
   "mode": "disabled"
  },
  "connectTimeoutSeconds": 10,
  "connectionId": "src"
 },
 "destination": {
  "engine": "postgresql",
  "host": "127.0.0.1",
  "port": 5432,
  "user": "dts",
  "password": "dest-Secret-2",
  "tls": {
   "mode": "disabled"
  },
  "connectTimeoutSeconds": 10,
  "database": "warehouse",
  "connectionId": "dst"
 }
}`;

const previousStatus = `{
 "taskId": "dts-0a1b2c3d4e5f",
 "phase": "running",
 "tables": [
  {
   "source": "shop.orders",
   "target": "shop.orders",
   "state": "done",
   "rowsCopied": 1200,
   "rowsEstimated": 1187,
   "chunksDone": 2,
   "chunksTotal": 2
  },
  {
   "source": "shop.customers",
   "target": "shop.clients",
   "state": "done",
   "rowsCopied": 40,
   "rowsEstimated": 40,
   "chunksDone": 1,
   "chunksTotal": 1
  }
 ],
 "rowsCopied": 1240,
 "rowsPerSecond": 0,
 "dirtyRows": 0,
 "dirtySample": [],
 "notes": [
  "views, routines and triggers are not migrated to PostgreSQL (their SQL is MySQL's); only tables are"
 ],
 "startedAt": "2026-11-30T09:12:01.482Z",
 "updatedAt": "2026-11-30T09:40:17.003Z",
 "precheck": {
  "passed": true,
  "items": [
   {
    "id": "source-binlog",
    "title": "Source binary log",
    "outcome": "passed"
   },
   {
    "id": "objects-exist",
    "title": "Selected objects exist",
    "outcome": "alert",
    "object": "shop.orders",
    "detail": "the table has no primary key",
    "fix": "add a primary key",
    "ignored": true
   }
  ]
 },
 "snapshotPosition": {
  "file": "mysql-bin.000003",
  "position": 4521,
  "gtid": "0-1-118"
 },
 "incremental": {
  "latencySeconds": 0,
  "caughtUp": true,
  "changesApplied": 311,
  "transactionsApplied": 97,
  "changesPerSecond": 2,
  "skippedStatements": [],
  "position": {
   "file": "mysql-bin.000003",
   "position": 98811,
   "gtid": "0-1-215"
  },
  "sourcePosition": {
   "file": "mysql-bin.000003",
   "position": 98811
  },
  "lastSourceTime": 1796030416000,
  "heartbeatLagMs": 41
 }
}`;

const previousCheckpoint = `{
 "precheckPassed": true,
 "tables": {
  "shop.orders": {
   "schemaDone": true,
   "chunks": [
    {
     "lo": null,
     "hi": "600",
     "state": "done",
     "rows": 600
    },
    {
     "lo": "600",
     "hi": null,
     "state": "done",
     "rows": 600
    }
   ],
   "indexesDone": true
  },
  "shop.customers": {
   "schemaDone": true,
   "chunks": [
    {
     "lo": null,
     "hi": null,
     "state": "done",
     "rows": 40
    }
   ],
   "indexesDone": true
  }
 },
 "objectsDone": true,
 "snapshotTaken": true,
 "snapshotPosition": {
  "file": "mysql-bin.000003",
  "position": 4521,
  "gtid": "0-1-118"
 },
 "streamDatabases": []
}`;

let dir: string;
let home: EngineHome;

beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "dts-store-"));
    home = engineHome(dir);
    ensureHome(home);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A task directory holding these files, as a previous engine left it. */
function taskWith(files: Record<string, string>, taskId = TASK): TaskStore {
    const store = new TaskStore(home, taskId);
    mkdirSync(store.dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(store.dir, name), text);
    return store;
}

function refusal(read: () => unknown): TaskFileError {
    try {
        read();
    } catch (err) {
        expect(err).toBeInstanceOf(TaskFileError);
        return err as TaskFileError;
    }
    throw new Error("the file was read");
}

describe("files the previous engine wrote (no version)", () => {
    it("spec.json: read, validated with the task and connection schemas", () => {
        const store = taskWith({ "spec.json": previousSpec });
        const spec = store.readSpec()!;
        expect(spec).toEqual(withLaterDefaults(JSON.parse(previousSpec)));
        expect(spec.task.objects[0].tables?.[1]).toEqual({ name: "customers", renameTo: "clients" });
        expect(spec.destination).toMatchObject({ engine: "postgresql", database: "warehouse", connectionId: "dst", password: "dest-Secret-2" });
    });

    it("spec.json: a field the previous engine did not write gets its default, as the task schema says", () => {
        const old = JSON.parse(previousSpec);
        delete old.task.caughtUpLatencySeconds;
        delete old.task.verification;
        delete old.source.connectTimeoutSeconds;
        const spec = taskWith({ "spec.json": JSON.stringify(old, null, 1) }).readSpec()!;
        expect(spec.task.caughtUpLatencySeconds).toBe(5);
        expect(spec.task.verification).toEqual({ mode: "none", samplePercent: 100, incrementalIntervalMinutes: 0 });
        expect(spec.source.connectTimeoutSeconds).toBe(10);
    });

    it("status.json and checkpoint.json: read as they are", () => {
        const store = taskWith({ "status.json": previousStatus, "checkpoint.json": previousCheckpoint });
        expect(store.readStatus()).toEqual(JSON.parse(previousStatus));
        expect(store.readCheckpoint()).toEqual(JSON.parse(previousCheckpoint));
    });

    it("the next write is in the current format, and reads back the same", () => {
        const store = taskWith({ "spec.json": previousSpec, "status.json": previousStatus, "checkpoint.json": previousCheckpoint });
        const spec = store.readSpec()!;
        const status = store.readStatus()!;
        const checkpoint = store.readCheckpoint();
        store.writeSpec(spec);
        store.writeStatus(status);
        store.writeCheckpoint(checkpoint);
        const onDisk = (name: string) => JSON.parse(readFileSync(join(store.dir, name), "utf8"));
        expect(onDisk("spec.json")).toEqual({ version: specFile.version, ...withLaterDefaults(JSON.parse(previousSpec)) });
        expect(onDisk("status.json")).toEqual({ version: statusFile.version, ...JSON.parse(previousStatus) });
        expect(onDisk("checkpoint.json")).toEqual({ version: checkpointFile.version, ...JSON.parse(previousCheckpoint) });
        const again = new TaskStore(home, TASK);
        expect(again.readSpec()).toEqual(spec);
        expect(again.readStatus()).toEqual(status);
        expect(again.readCheckpoint()).toEqual(checkpoint);
    });

    it("a version field is a file's only change: what the previous engine read of a file, it reads of a current one", () => {
        const store = taskWith({ "checkpoint.json": previousCheckpoint });
        store.writeCheckpoint(store.readCheckpoint());
        const { version, ...rest } = JSON.parse(readFileSync(join(store.dir, "checkpoint.json"), "utf8"));
        expect(version).toBe(1);
        expect(rest).toEqual(JSON.parse(previousCheckpoint));
    });

    it("absent files: no spec, no status, an empty checkpoint", () => {
        const store = new TaskStore(home, TASK);
        expect(store.readSpec()).toBeUndefined();
        expect(store.readStatus()).toBeUndefined();
        expect(store.readCheckpoint()).toEqual({ precheckPassed: false, tables: {}, objectsDone: false });
    });
});

describe("files this engine cannot use", () => {
    it("a newer format version: refused, naming the task, the file and both versions", () => {
        const store = taskWith({ "checkpoint.json": JSON.stringify({ version: checkpointFile.version + 1, anything: "new" }) });
        const err = refusal(() => store.readCheckpoint());
        expect(err).toMatchObject({ taskId: TASK, file: "checkpoint.json", problem: { kind: "newer-version", version: checkpointFile.version + 1 } });
        expect(err.message).toContain(`task ${TASK}: checkpoint.json`);
        expect(err.message).toContain(`format version ${checkpointFile.version + 1} is newer than the ${checkpointFile.version} this engine reads`);
        expect(err.message).toContain("npx pulumi-dts engine stop");
    });

    it("checkpoint.json with a chunk in a state no engine writes: the field is named", () => {
        const bad = JSON.parse(previousCheckpoint);
        bad.tables["shop.orders"].chunks[1].state = "copying";
        const err = refusal(() => taskWith({ "checkpoint.json": JSON.stringify(bad) }).readCheckpoint());
        expect(err.problem).toMatchObject({ kind: "invalid", path: ["tables", "shop.orders", "chunks", 1, "state"] });
        expect(err.message).toContain(`tables["shop.orders"].chunks[1].state: Invalid option`);
        expect(err.message).toContain(`npx pulumi-dts task release ${TASK}`);
    });

    it("status.json without its phase, in the current format: the field is named", () => {
        const bad = JSON.parse(previousStatus);
        delete bad.phase;
        const err = refusal(() => taskWith({ "status.json": JSON.stringify({ version: 1, ...bad }) }).readStatus());
        expect(err.problem).toMatchObject({ kind: "invalid", path: ["phase"] });
        expect(err.message).toMatch(/status\.json \(.*status\.json\) cannot be read: phase: /);
    });

    it("spec.json: the connection is checked with the connection schema, and the task with the task schema", () => {
        const noHost = JSON.parse(previousSpec);
        delete noHost.source.host;
        expect(refusal(() => taskWith({ "spec.json": JSON.stringify(noHost) }).readSpec()).message).toContain("source.host:");
        const noId = JSON.parse(previousSpec);
        delete noId.destination.connectionId;
        expect(refusal(() => taskWith({ "spec.json": JSON.stringify(noId) }).readSpec()).message).toContain("destination.connectionId:");
        const badTask = JSON.parse(previousSpec);
        badTask.task.migrationTypes = ["full", "full"];
        expect(refusal(() => taskWith({ "spec.json": JSON.stringify(badTask) }).readSpec()).message).toContain("task.migrationTypes: must not list a migration type twice");
    });

    it("a spec in another task's directory is refused: it would run under the wrong id", () => {
        const err = refusal(() => taskWith({ "spec.json": previousSpec }, "dts-ffffffffffff").readSpec());
        expect(err.message).toContain(`taskId: is "${TASK}", but the file is in the directory of task dts-ffffffffffff`);
    });

    it("a truncated file: not JSON, and the message quotes none of it (spec.json holds passwords)", () => {
        const err = refusal(() => taskWith({ "spec.json": previousSpec.slice(0, previousSpec.indexOf("source-Secret-1") + 8) }).readSpec());
        expect(err.problem.kind).toBe("not-json");
        expect(err.message).not.toContain("source-S");
    });
});

describe("an engine starting on a home with an unreadable task", () => {
    it("keeps the task as failed with the reason: listed, not run, its files untouched, refused updates, released on request", async () => {
        const newer = JSON.stringify({ version: 9, whatever: true });
        const store = taskWith({ "spec.json": previousSpec, "status.json": newer, "checkpoint.json": previousCheckpoint });
        const engine = new Engine(home, () => undefined);
        engine.restore();
        const list = (await engine.handle({ method: "list" })) as TaskStatus[];
        expect(list.map((s) => [s.taskId, s.phase])).toEqual([[TASK, "failed"]]);
        expect(list[0].error).toContain(`task ${TASK}: status.json`);
        expect(list[0].error).toContain("format version 9");
        const got = (await engine.handle({ method: "get", taskId: TASK })) as TaskStatus;
        expect(got.error).toBe(list[0].error);
        await engine.handle({ method: "resume", taskId: TASK });
        await new Promise((r) => setTimeout(r, 50));
        expect(readFileSync(join(store.dir, "status.json"), "utf8")).toBe(newer);
        expect(readFileSync(join(store.dir, "checkpoint.json"), "utf8")).toBe(previousCheckpoint);
        const spec = new TaskStore(home, TASK).readSpec()!;
        await expect(engine.handle({ method: "update", taskId: TASK, spec })).rejects.toMatchObject({ code: "unreadable-task" });
        expect(store.tailLog().join("\n")).toContain("not restored:");
        expect(await engine.handle({ method: "release", taskId: TASK })).toEqual({ released: true });
        expect(existsSync(store.dir)).toBe(false);
    });

    it("an unreadable spec.json: the task shows with the status it had, as failed", async () => {
        taskWith({ "spec.json": JSON.stringify({ version: 1, ...JSON.parse(previousSpec), taskId: 7 }), "status.json": previousStatus });
        const engine = new Engine(home, () => undefined);
        engine.restore();
        const got = (await engine.handle({ method: "get", taskId: TASK })) as TaskStatus;
        expect(got).toMatchObject({ phase: "failed", rowsCopied: 1240, tables: JSON.parse(previousStatus).tables });
        expect(got.error).toContain(`task ${TASK}: spec.json`);
        expect(got.error).toContain("taskId:");
        await expect(engine.handle({ method: "update", taskId: TASK, spec: JSON.parse(previousSpec) })).rejects.toBeInstanceOf(EngineRequestError);
        await engine.stopAll();
    });

    it("a task whose files all read is restored as a task, not as an unreadable one", () => {
        // Completed: restored without being started (no database needed).
        const done = { ...JSON.parse(previousStatus), phase: "completed" };
        taskWith({ "spec.json": previousSpec, "status.json": JSON.stringify(done), "checkpoint.json": previousCheckpoint });
        const engine = new Engine(home, () => undefined);
        engine.restore();
        const runner = (engine as unknown as { runners: Map<string, unknown> }).runners.get(TASK);
        expect(runner).toBeDefined();
        expect(runner).not.toBeInstanceOf(UnreadableTask);
    });
});

/** The previous engine's spec as this one reads it: fields added since then get their defaults. */
function withLaterDefaults(spec: { task: Record<string, unknown> }): unknown {
    return { ...spec, task: { ...spec.task, unsupportedNewTables: "skip" } };
}
