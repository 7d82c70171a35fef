import * as pulumi from "@pulumi/pulumi";
import * as hooks from "../provider/hooks/task";
import type { TaskArgsInput } from "./schema/task";
import type { ArgsOf } from "./input";
import type { DatabaseConnection } from "./connection";
import type { DirtyRecord, PrecheckReport, TableProgress } from "../provider/engine/status";
import type { BinlogPosition } from "../provider/engine/model";
import type { RetryState } from "../provider/engine/retry";

const outputNames = ["taskId", "generation", "status", "retrying", "precheck", "tables", "snapshotPosition", "snapshotBinlogPosition", "rowsCopied", "dirtyRows", "dirtySample", "notes", "error", "incremental", "latencySeconds"];

/** The incremental stream as the task's outputs show it (refreshed by pulumi refresh). */
export interface IncrementalOutput {
    /** binlog file:position (and GTID) of the last applied source transaction. */
    position: string;
    latencySeconds: number;
    caughtUp: boolean;
    changesApplied: number;
    transactionsApplied: number;
    /** DDL statements passed over because the ddl selection leaves their operation out. */
    skippedStatements: string[];
}

/** Arguments of a MigrationTask; `source` and `destination` are DatabaseConnections. */
export type MigrationTaskArgs = Omit<ArgsOf<TaskArgsInput>, "source" | "destination"> & {
    source: DatabaseConnection;
    destination: DatabaseConnection;
};

const provider: pulumi.dynamic.ResourceProvider = {
    // pulumi-dts:endpoint, :token, :caCert: run the tasks on the engine service instead of the local engine.
    configure: (req) => hooks.configure(req.config),
    check: (olds, news) => hooks.check(olds, news),
    diff: (id, olds, news) => hooks.diff(id, olds, news),
    create: (inputs) => hooks.create(inputs),
    read: (id, props) => hooks.read(id, props ?? {}),
    update: (id, olds, news) => hooks.update(id, olds, news),
    delete: (id, props) => hooks.remove(id, props),
};

/**
 * A migration from a MySQL-family source to a MySQL or PostgreSQL destination, run by the
 * local pulumi-dts engine: `pulumi up` prechecks, migrates the schema and the data, and
 * (by default) waits until the full load completes; `pulumi destroy` releases the task
 * and keeps the destination's data.
 */
export class MigrationTask extends pulumi.dynamic.Resource {
    declare public readonly taskId: pulumi.Output<string>;
    /** The engine service's generation of the task (null with the local engine): updates are made against it. */
    declare public readonly generation: pulumi.Output<number | null>;
    /** prechecking, precheck-failed, migrating-schema, migrating-full, completed, running (incremental), failed. */
    declare public readonly status: pulumi.Output<string>;
    /** The precheck report: every item passed, alert or failed, with the object and the fix. */
    declare public readonly precheck: pulumi.Output<PrecheckReport | null>;
    /** Per-table progress: state, rows copied, chunks. */
    declare public readonly tables: pulumi.Output<TableProgress[]>;
    /** The binlog position the full load is consistent with (incremental migration starts there). */
    declare public readonly snapshotPosition: pulumi.Output<BinlogPosition | null>;
    declare public readonly snapshotBinlogPosition: pulumi.Output<string>;
    declare public readonly rowsCopied: pulumi.Output<number>;
    /** Rows the destination refused under dirtyData "skip" (all of them are in the task's dirty-data log). */
    declare public readonly dirtyRows: pulumi.Output<number>;
    declare public readonly dirtySample: pulumi.Output<DirtyRecord[]>;
    /** What schema migration could not carry over exactly (omitted defaults, skipped indexes...). */
    declare public readonly notes: pulumi.Output<string[]>;
    declare public readonly error: pulumi.Output<string>;
    /** While a failed step or the stream is being retried: the failure, its kind, and when the retry window ends (else null). */
    declare public readonly retrying: pulumi.Output<RetryState | null>;
    /** The incremental stream (null until the task reaches it). */
    declare public readonly incremental: pulumi.Output<IncrementalOutput | null>;
    /** Seconds the destination is behind the source, as of the last create, update or refresh. */
    declare public readonly latencySeconds: pulumi.Output<number | null>;

    constructor(name: string, args: MigrationTaskArgs, opts?: pulumi.CustomResourceOptions) {
        const { source, destination, ...rest } = args;
        // Field by field, not one Output: on a new stack only connectionId is unknown at preview,
        // so the task's rules that read the connection's engine or settings are judged there too.
        const endpoint = (c: DatabaseConnection) => ({ ...c.inputs, connectionId: c.connectionId });
        super(provider, name, {
            ...rest,
            source: endpoint(source),
            destination: endpoint(destination),
            // A stable key of this resource: the engine service derives the task id from it (idempotent creates).
            [hooks.TASK_KEY]: [pulumi.getOrganization(), pulumi.getProject(), pulumi.getStack(), name].join("/"),
            ...Object.fromEntries(outputNames.map((o) => [o, undefined])),
        }, {
            ...opts,
            // The connections carry passwords; keep them secret in the task's outputs too.
            additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "source", "destination"],
        }, "pulumi-dts", "MigrationTask");
    }
}
