import type { MaxComputeConnectionSpec } from "../../../sdk/schema/connection";
import type { TaskSpec } from "../../../sdk/schema/task";
import type { ChangeSink } from "../../engine/change-sink";
import type { Destination, DestinationConnector } from "../../engine/destination";
import type { ConnectionFacts } from "../../engine/facts";
import type { TableMapping } from "../../engine/model";
import type { BulkSink } from "../../engine/sink";
import type { PrecheckItem } from "../../engine/status";
import { MaxComputeBulkSink } from "./bulk-sink";
import { createBaseTable, createLogTable } from "./ddl";
import { maxcomputeDdlTranslator } from "./ddl-translator";
import { MaxComputeLogSink } from "./change-sink";
import { MaxComputeCheckpointStore } from "./checkpoint-store";
import { logLayout, logTableName, type PartitionColumn } from "./names";
import { maxcomputeFacts } from "./facts";
import { maxcomputePrecheck } from "./precheck";
import { MaxComputeRest, pathSegment } from "./rest";
import { runSql } from "./sql";
import { type MaxComputeTableShape, planTable, suffixesOf } from "./table-plan";
import { TunnelClient } from "./tunnel";


/**
 * MaxCompute as a destination (seed 004): each selected table becomes `<table><baseSuffix>`
 * in the connection's project (a project has no databases), created by a DDL instance and
 * filled by Tunnel upload, one upload session per chunk (bulk-sink.ts); with incremental
 * migration also `<table><logSuffix>`, to which the stream appends every change
 * (change-sink.ts), its checkpoint and fence in a table of ours (checkpoint-store.ts).
 */
export class MaxComputeDestination implements Destination {
    readonly defaultNameCase = "as-source";
    /** Zero dates are refused as dirty data, or NULL only when the task opts in: never turned into another date silently. */
    readonly keepsZeroDates = true;
    readonly objectsNotMigrated = "MaxCompute holds tables only: views, routines, triggers and events are not migrated";
    readonly ddl = maxcomputeDdlTranslator;
    private readonly tunnel: TunnelClient;
    private readonly plans = new WeakMap<TableMapping, MaxComputeTableShape>();

    private constructor(private readonly spec: MaxComputeConnectionSpec, private readonly rest: MaxComputeRest) {
        this.tunnel = new TunnelClient(rest, spec.project);
    }

    static async open(spec: MaxComputeConnectionSpec): Promise<MaxComputeDestination> {
        const rest = new MaxComputeRest(spec);
        try {
            // Fails here, with the service's reason, when the endpoint, the project or the AccessKey is wrong.
            await rest.getProject(spec.project);
        } catch (err) {
            rest.close();
            throw err;
        }
        return new MaxComputeDestination(spec, rest);
    }

    private plan(m: TableMapping, task: TaskSpec): MaxComputeTableShape {
        let p = this.plans.get(m);
        if (!p) this.plans.set(m, (p = planTable(m, task)));
        return p;
    }

    facts(): Promise<ConnectionFacts> {
        return maxcomputeFacts(this.spec);
    }

    targetName(m: TableMapping): string {
        return `${this.spec.project}.${m.targetTable}`;
    }

    storedTable(m: TableMapping, task: TaskSpec): { schema: string; table: string } {
        return { schema: this.spec.project, table: this.plan(m, task).table };
    }

    async precheck(mappings: TableMapping[], task: TaskSpec): Promise<PrecheckItem[]> {
        return maxcomputePrecheck(mappings, task);
    }

    tableExists(_schema: string, table: string): Promise<boolean> {
        return this.rest.tableExists(this.spec.project, pathSegment(table, "table"));
    }

    /** From a download session's record count: MaxCompute keeps no other row count a client can read. */
    async countRows(_schema: string, table: string): Promise<number> {
        return (await this.tunnel.createDownload({ table })).recordCount;
    }

    async createSchema(): Promise<void> {
        // A project has no databases: the tables stand on their own.
    }

    async createTable(mapping: TableMapping, task: TaskSpec): Promise<string[]> {
        const p = this.plan(mapping, task);
        await runSql(this.rest, this.spec.project, `${createBaseTable(p.table, p.ddlColumns)};`);
        if (task.migrationTypes.includes("incremental")) {
            const layout = logLayout(task.maxcompute?.additionalColumnRule ?? "new", (task.maxcompute?.incrementalPartitions ?? []) as PartitionColumn[]);
            await runSql(this.rest, this.spec.project, `${createLogTable(logTableName(mapping.targetTable, suffixesOf(task)), p.ddlColumns, layout)};`);
        }
        return p.columns.filter((c) => !c.mapping.exact || c.mapping.refuses).map((c) =>
            `${p.table}.${c.target}: ${c.mapping.typeText}${c.mapping.loss ? `, ${c.mapping.loss}` : ""}${c.mapping.refuses ? `; refused as dirty data: ${c.mapping.refuses}` : ""}`);
    }

    async createIndexes(mapping: TableMapping): Promise<string[]> {
        return mapping.source.indexes.length || mapping.key
            ? [`${mapping.targetTable}: MaxCompute tables have no keys or indexes (${[...(mapping.key ? ["primary key"] : []), ...mapping.source.indexes.map((i) => i.name)].join(", ")} not created)`]
            : [];
    }

    async openSink(task: () => TaskSpec): Promise<BulkSink> {
        return new MaxComputeBulkSink(this.tunnel, (m) => this.plan(m, task()));
    }

    async openChangeSink(task: () => TaskSpec): Promise<ChangeSink> {
        const checkpoints = new MaxComputeCheckpointStore(this.rest, this.tunnel, this.spec.project);
        await checkpoints.ensureTable();
        return new MaxComputeLogSink(this.rest, this.tunnel, this.spec.project, checkpoints, task);
    }

    /** Release: the task's checkpoint and claims go; the _base and _log tables keep what was migrated. */
    async forgetStream(taskId: string): Promise<void> {
        await new MaxComputeCheckpointStore(this.rest, this.tunnel, this.spec.project).forget(taskId);
    }

    async close(): Promise<void> {
        this.rest.close();
    }
}

export const destinationConnector: DestinationConnector = {
    engines: ["maxcompute"],
    open: (spec) => MaxComputeDestination.open(spec as MaxComputeConnectionSpec),
};
