/**
 * Every field the task and connection schemas accept is either read by the code that
 * gives it its meaning, or refused at preview (provider/unimplemented-fields.ts). A new
 * field that is neither fails here, so an option can no longer be accepted and ignored.
 * Every task field also has a declared behaviour on change (sdk/schema/task-fields.ts).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { connectionArgsSchema } from "../../sdk/schema/connection";
import { taskArgsSchema } from "../../sdk/schema/task";
import { fieldPolicy, taskFieldPolicies } from "../../sdk/schema/task-fields";
import { connectionFieldRules, type FieldRule, taskFieldRules } from "../../provider/unimplemented-fields";

const root = join(__dirname, "..", "..");

/** Leaf field paths of a schema: `[]` marks array elements; a union of a value and an object is both a leaf and its object's fields. */
function leaves(schema: z.ZodType, path = "", out = new Set<string>()): Set<string> {
    const def = (schema as unknown as { def: Record<string, unknown> & { type: string } }).def;
    switch (def.type) {
        case "object":
            for (const [k, v] of Object.entries(def.shape as Record<string, z.ZodType>)) leaves(v, path ? `${path}.${k}` : k, out);
            break;
        case "optional": case "default": case "nullable": case "prefault": case "readonly":
            leaves(def.innerType as z.ZodType, path, out);
            break;
        case "array":
            leaves(def.element as z.ZodType, `${path}[]`, out);
            break;
        case "union":
            for (const o of def.options as z.ZodType[]) {
                if ((o as unknown as { def: { type: string } }).def.type === "object") leaves(o, path, out);
                else out.add(path.replace(/\[\]$/, ""));
            }
            break;
        case "pipe":
            leaves(def.in as z.ZodType, path, out);
            break;
        default:
            out.add(path.replace(/\[\]$/, ""));
    }
    return out;
}

/**
 * Where each field gets its meaning: the file must mention the field's name. This is a
 * map a reviewer checks once per field, not proof of behaviour (the integration tests are).
 */
const taskReaders: Record<string, string[]> = {
    "source.connectionId": ["provider/hooks/task.ts"],
    "source.engine": ["provider/hooks/task.ts"],
    "destination.connectionId": ["provider/hooks/task.ts"],
    "destination.engine": ["provider/hooks/task.ts", "provider/engine/connectors.ts"],
    "migrationTypes": ["provider/engine/task-runner.ts"],
    "objects[].database": ["provider/engine/mapping.ts"],
    "objects[].renameTo": ["provider/engine/mapping.ts"],
    "objects[].tables[].name": ["provider/engine/mapping.ts"],
    "objects[].tables[].renameTo": ["provider/engine/mapping.ts"],
    "objects[].tables[].columns": ["provider/engine/mapping.ts"],
    "objects[].tables[].columns[].name": ["provider/engine/mapping.ts"],
    "objects[].tables[].columns[].renameTo": ["provider/engine/mapping.ts"],
    "objects[].tables[].where": ["provider/engine/mapping.ts", "provider/connectors/mysql/source/chunk-reader.ts"],
    "objects[].tables[].dml": ["provider/engine/incremental/changes.ts"],
    "objects[].tables[].ddl": ["provider/engine/incremental/stream.ts"],
    "objects[].tables[].distributionKey": ["provider/connectors/postgres/ddl.ts"],
    "objects[].tables[].zeroDates": ["provider/engine/mapping.ts"],
    "objects[].tables[].tablestorePrimaryKey": ["provider/connectors/tablestore/table-plan.ts"],
    "objects[].tables[].tablestoreTypes": ["provider/connectors/tablestore/table-plan.ts"],
    "tablestore.writeMode": ["provider/connectors/tablestore/change-sink.ts"],
    "tablestore.batchMode": ["provider/connectors/tablestore/bulk-sink.ts", "provider/connectors/tablestore/change-sink.ts"],
    "tablestore.queueSize": ["provider/connectors/tablestore/bulk-sink.ts"],
    "tablestore.threadCount": ["provider/connectors/tablestore/destination.ts"],
    "tablestore.concurrency": ["provider/connectors/tablestore/destination.ts"],
    "tablestore.bucketCount": ["provider/connectors/tablestore/change-sink.ts"],
    "tablestore.temporal": ["provider/connectors/tablestore/table-plan.ts"],
    "maxcompute.baseSuffix": ["provider/connectors/maxcompute/table-plan.ts"],
    "maxcompute.types.bigint": ["provider/connectors/maxcompute/type-map.ts"],
    "maxcompute.types.unsignedBigint": ["provider/connectors/maxcompute/type-map.ts"],
    "maxcompute.types.wideDecimal": ["provider/connectors/maxcompute/type-map.ts"],
    "maxcompute.types.datetimeMicros": ["provider/connectors/maxcompute/type-map.ts"],
    "maxcompute.types.zeroDates": ["provider/connectors/maxcompute/type-map.ts"],
    "maxcompute.types.time": ["provider/connectors/maxcompute/type-map.ts"],
    "maxcompute.types.bit": ["provider/connectors/maxcompute/type-map.ts"],
    "maxcompute.logSuffix": ["provider/connectors/maxcompute/table-plan.ts"],
    "maxcompute.additionalColumnRule": ["provider/connectors/maxcompute/change-sink.ts", "provider/connectors/maxcompute/precheck.ts", "provider/connectors/maxcompute/destination.ts"],
    "maxcompute.incrementalPartitions": ["provider/connectors/maxcompute/change-sink.ts", "provider/connectors/maxcompute/precheck.ts", "provider/connectors/maxcompute/destination.ts"],
    "objects[].dml": ["provider/engine/incremental/changes.ts"],
    "objects[].ddl": ["provider/engine/incremental/stream.ts"],
    "dml": ["provider/engine/incremental/changes.ts"],
    "ddl": ["provider/engine/incremental/stream.ts"],
    "conflictingTables": ["provider/engine/task-runner.ts", "provider/engine/precheck/run-precheck.ts"],
    "dirtyData": ["provider/engine/task-runner.ts"],
    "nameCase": ["provider/engine/mapping.ts"],
    "migrateEvents": ["provider/engine/task-runner.ts"],
    "unsupportedNewTables": ["provider/engine/incremental/stream.ts"],
    "triggers": ["provider/connectors/mysql/destination/destination.ts"],
    "retry.connectionMinutes": ["provider/engine/task-runner.ts", "provider/engine/incremental/stream.ts"],
    "retry.otherMinutes": ["provider/engine/task-runner.ts", "provider/engine/incremental/stream.ts"],
    "throttle.full.sourceQps": ["provider/engine/task-runner.ts"],
    "throttle.full.rps": ["provider/engine/task-runner.ts"],
    "throttle.full.mbps": ["provider/engine/task-runner.ts"],
    "throttle.incremental.rps": ["provider/engine/incremental/stream.ts"],
    "throttle.incremental.mbps": ["provider/engine/incremental/stream.ts"],
    "heartbeat.enabled": ["provider/connectors/mysql/source/change-source.ts"],
    "heartbeat.table": ["provider/connectors/mysql/source/change-source.ts", "provider/connectors/mysql/source/heartbeat.ts"],
    "heartbeat.intervalSeconds": ["provider/connectors/mysql/source/change-source.ts"],
    "floatPrecision.float": ["provider/connectors/mysql/source/binlog-values.ts", "provider/connectors/mysql/source/chunk-reader.ts"],
    "floatPrecision.double": ["provider/connectors/mysql/source/binlog-values.ts", "provider/connectors/mysql/source/chunk-reader.ts"],
    "ignorePrecheckAlerts": ["provider/engine/precheck/run-precheck.ts"],
    "waitFor": ["provider/hooks/task.ts"],
    "waitTimeoutMinutes": ["provider/hooks/task.ts"],
    "caughtUpLatencySeconds": ["provider/engine/readiness.ts"],
};

const connectionReaders: Record<string, string[]> = {
    "engine": ["provider/connectors/probe.ts"],
    "host": ["provider/connectors/mysql/connect.ts", "provider/connectors/postgres/connect.ts"],
    "port": ["provider/connectors/mysql/connect.ts", "provider/connectors/postgres/connect.ts"],
    "user": ["provider/connectors/mysql/connect.ts", "provider/connectors/postgres/connect.ts"],
    "password": ["provider/connectors/mysql/connect.ts", "provider/connectors/postgres/connect.ts"],
    "tls.mode": ["provider/connectors/mysql/connect.ts", "provider/connectors/postgres/connect.ts"],
    "tls.ca": ["provider/connectors/mysql/connect.ts", "provider/connectors/postgres/connect.ts"],
    "tls.serverName": ["provider/connectors/mysql/connect.ts", "provider/connectors/postgres/connect.ts"],
    "connectTimeoutSeconds": ["provider/connectors/mysql/connect.ts", "provider/connectors/postgres/connect.ts", "provider/connectors/tablestore/connect.ts"],
    "database": ["provider/connectors/postgres/connect.ts"],
    "endpoint": ["provider/connectors/tablestore/connect.ts", "provider/connectors/tablestore/facts.ts", "provider/connectors/maxcompute/facts.ts"],
    "project": ["provider/connectors/maxcompute/facts.ts", "provider/connectors/maxcompute/destination.ts"],
    "instanceName": ["provider/connectors/tablestore/connect.ts", "provider/connectors/tablestore/facts.ts"],
    "accessKeyId": ["provider/connectors/tablestore/connect.ts", "provider/connectors/tablestore/facts.ts", "provider/connectors/maxcompute/facts.ts"],
    "accessKeySecret": ["provider/connectors/tablestore/connect.ts", "provider/connectors/tablestore/facts.ts", "provider/connectors/maxcompute/facts.ts"],
};

/** Connection fields of destinations that are refused at preview: none today. */
const connectionFieldsOfRefusedDestinations: string[] = [];

function refusedBy(rules: readonly FieldRule[], path: string): FieldRule | undefined {
    return rules.find((r) => (r.unimplemented || r.onlyForDestinations) && (path === r.path || path.startsWith(r.path + ".")));
}

function mentions(file: string, path: string): boolean {
    const name = path.split(".").pop()!.replace(/\[\]$/, "");
    return readFileSync(join(root, file), "utf8").includes(name);
}

describe("every schema field is read or refused", () => {
    const taskFields = [...leaves(taskArgsSchema as unknown as z.ZodType)];
    const connectionFields = [...leaves(connectionArgsSchema as unknown as z.ZodType)];

    it("finds the fields (the walk itself works)", () => {
        expect(taskFields).toContain("objects[].tables[].columns[].renameTo");
        expect(taskFields).toContain("throttle.incremental.mbps");
        expect(connectionFields).toContain("tls.serverName");
    });

    it.each(taskFields)("task field %s", (path) => {
        const refused = refusedBy(taskFieldRules, path);
        const readers = taskReaders[path];
        if (refused?.unimplemented) {
            // Unimplemented: it must not also claim a reader.
            expect(readers, `${path} is refused as unimplemented; remove it from taskReaders or its rule`).toBeUndefined();
        } else {
            expect(readers, `${path} is neither read (add it to taskReaders) nor refused (add a rule to provider/unimplemented-fields.ts)`).toBeDefined();
            for (const f of readers!) expect(mentions(f, path), `${f} does not mention ${path}`).toBe(true);
        }
        expect(fieldPolicy(path), `${path} has no behaviour in sdk/schema/task-fields.ts`).toBeDefined();
    });

    it.each(connectionFields)("connection field %s", (path) => {
        if (connectionFieldsOfRefusedDestinations.includes(path)) return;
        const readers = connectionReaders[path];
        expect(readers, `${path} is neither read (add it to connectionReaders) nor refused`).toBeDefined();
        for (const f of readers!) expect(mentions(f, path), `${f} does not mention ${path}`).toBe(true);
    });

    it("the maps name no field the schemas do not have", () => {
        for (const p of Object.keys(taskReaders)) expect(taskFields, p).toContain(p);
        for (const p of Object.keys(connectionReaders)) expect(connectionFields, p).toContain(p);
        for (const p of Object.keys(taskFieldPolicies)) {
            expect(taskFields.some((f) => f === p || f.startsWith(p + ".") || f.startsWith(p + "[")), p).toBe(true);
        }
        for (const r of [...taskFieldRules]) expect(taskFields.some((f) => f === r.path || f.startsWith(r.path + ".")), r.path).toBe(true);
        for (const r of [...connectionFieldRules]) expect(connectionFields, r.path).toContain(r.path);
    });
});
