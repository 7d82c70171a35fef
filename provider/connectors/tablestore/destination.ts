import type { TablestoreConnectionSpec } from "../../../sdk/schema/connection";
import type { TaskSpec } from "../../../sdk/schema/task";
import type { ChangeSink } from "../../engine/change-sink";
import type { Destination, DestinationConnector } from "../../engine/destination";
import type { TableMapping } from "../../engine/model";
import type { BulkSink } from "../../engine/sink";
import type { PrecheckItem } from "../../engine/status";
import type { ConnectionFacts } from "../../engine/facts";
import { TablestoreBulkSink } from "./bulk-sink";
import { TablestoreChangeSink } from "./change-sink";
import { CHECKPOINT_TABLE, TablestoreCheckpointStore } from "./checkpoint-store";
import type { TablestoreClient } from "./client";
import { tablestoreClient } from "./connect";
import { tablestoreDdlTranslator } from "./ddl-translator";
import { TablestoreError } from "./errors";
import { tablestoreFacts } from "./facts";
import { tablestorePrecheck } from "./precheck";
import { RequestGate, RowWriter } from "./row-writer";
import { scanTable } from "./scan";
import { keySchema, planTable, tablestoreKey } from "./table-plan";
import { ATTRIBUTE_VALUE_MAX_BYTES, PRIMARY_KEY_VALUE_MAX_BYTES } from "./type-map";

/**
 * Tablestore as a destination (seed 000): each selected table becomes a Tablestore table
 * named as the mapping says (an instance has no databases), with the source's primary key
 * or tablestorePrimaryKey, TTL -1 and one version. Rows go in as whole-row writes, and the
 * stream's checkpoint lives in a table of ours in the instance.
 */
export class TablestoreDestination implements Destination {
    readonly defaultNameCase = "as-source";
    /** Zero dates are written as their text (iso-string) or refused as dirty data (epoch-micros): never NULL. */
    readonly keepsZeroDates = true;
    readonly objectsNotMigrated = "Tablestore holds tables only: views, routines, triggers and events are not migrated";
    readonly ddl = tablestoreDdlTranslator;
    readonly valueLimits = { keyBytes: PRIMARY_KEY_VALUE_MAX_BYTES, valueBytes: ATTRIBUTE_VALUE_MAX_BYTES };
    private gate?: RequestGate;

    private constructor(private readonly spec: TablestoreConnectionSpec, private readonly client: TablestoreClient) {}

    static async open(spec: TablestoreConnectionSpec): Promise<TablestoreDestination> {
        const client = tablestoreClient(spec, 256);
        // Fails here, with the service's reason, when the endpoint, instance or AccessKey is wrong.
        await client.listTables();
        return new TablestoreDestination(spec, client);
    }

    facts(): Promise<ConnectionFacts> {
        return tablestoreFacts(this.client, this.spec);
    }

    keyFor(mapping: TableMapping, task: TaskSpec): string[] | null {
        return tablestoreKey(mapping, task);
    }

    /** An instance has no databases: a table is its name. */
    targetName(mapping: TableMapping): string {
        return mapping.targetTable;
    }

    loadWorkers(task: TaskSpec): number {
        return task.tablestore?.threadCount ?? 8;
    }

    precheck(mappings: TableMapping[], task: TaskSpec): Promise<PrecheckItem[]> {
        return tablestorePrecheck(this.client, mappings, task);
    }

    async tableExists(_schema: string, table: string): Promise<boolean> {
        return (await this.client.listTables()).includes(table);
    }

    /** Counted by reading every key: Tablestore keeps no row count. */
    async countRows(_schema: string, table: string): Promise<number> {
        let n = 0;
        for await (const page of scanTable(this.client, table)) n += page.length;
        return n;
    }

    async createSchema(): Promise<void> {
        // An instance has no databases: the tables stand on their own.
    }

    async createTable(mapping: TableMapping, task: TaskSpec): Promise<string[]> {
        const plan = planTable(mapping, task);
        try {
            await this.client.createTable({ name: plan.table, primaryKey: keySchema(plan) });
        } catch (err) {
            // A resumed task (or ignore-and-proceed) finds its table: it must have the key the task writes.
            if (!(err instanceof TablestoreError && err.code === "OTSObjectAlreadyExist")) throw err;
            const desc = await this.client.describeTable(plan.table);
            const want = keySchema(plan).map((k) => `${k.name} ${k.type}`).join(", ");
            const has = desc.primaryKey.map((k) => `${k.name} ${k.type}`).join(", ");
            if (want !== has) {
                throw new TablestoreError("OTSInvalidPK", `table ${plan.table} exists with primary key (${has}), the task writes (${want}); drop it or map the table to another name with renameTo`,
                    { operation: "CreateTable", table: plan.table }, undefined, undefined);
            }
        }
        return [];
    }

    async createIndexes(mapping: TableMapping): Promise<string[]> {
        return mapping.source.indexes.length
            ? [`${mapping.targetTable}: secondary indexes are not created in Tablestore (${mapping.source.indexes.map((i) => i.name).join(", ")}); rows are found by the primary key`]
            : [];
    }

    private writer(task: () => TaskSpec): RowWriter {
        this.gate ??= new RequestGate(() => task().tablestore?.concurrency ?? 64);
        return new RowWriter(this.client, this.gate);
    }

    async openSink(task: () => TaskSpec): Promise<BulkSink> {
        return new TablestoreBulkSink(this.writer(task), task);
    }

    async openChangeSink(task: () => TaskSpec): Promise<ChangeSink> {
        const checkpoints = new TablestoreCheckpointStore(this.client);
        await checkpoints.ensureTable();
        return new TablestoreChangeSink(this.client, this.writer(task), checkpoints, task);
    }

    async forgetStream(taskId: string): Promise<void> {
        await new TablestoreCheckpointStore(this.client).forget(taskId);
    }

    async close(): Promise<void> {
        this.client.close();
    }
}

/** The metadata table the stream keeps its checkpoint in; the precheck counts it among the instance's tables. */
export { CHECKPOINT_TABLE };

export const destinationConnector: DestinationConnector = {
    engines: ["tablestore"],
    open: (spec) => TablestoreDestination.open(spec as TablestoreConnectionSpec),
};
