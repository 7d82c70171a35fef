import type { TaskSpec } from "../../../sdk/schema/task";
import { isUndecodableValue, type RowDecoder } from "../change-source";
import type { BinlogPosition, SourceRow, TableMapping } from "../model";
import type { BinlogRowEvent, BinlogTransaction } from "./source-transaction";
import type { SourceChange } from "./change-model";

export type DmlKind = "insert" | "update" | "delete";

/** How a mapped table's row images become rows (the source's decoder), and which operations the task selected. */
interface TableStream {
    mapping: TableMapping;
    decoder: RowDecoder;
    dml: Set<DmlKind>;
}

/** The task's operation selection for a table: table, then database, then task level; all when none. */
export function dmlSelection(task: TaskSpec, mapping: TableMapping): Set<DmlKind> {
    const db = task.objects.find((o) => o.database === mapping.source.database);
    const t = db?.tables?.find((x) => x.name === mapping.source.name);
    return new Set(t?.dml ?? db?.dml ?? task.dml ?? ["insert", "update", "delete"]);
}

/** Turns binlog transactions into row changes of the selected tables. */
export class ChangeMapper {
    private readonly tables = new Map<string, TableStream>();
    /** The task the table streams were built for: a reconfigured task rebuilds them (dml, floatPrecision are live fields). */
    private builtFor: TaskSpec;

    /**
     * @param onRejected called for a row image with a value that cannot be represented
     * exactly (dirty data: throws under the "block" policy); `keyRow` holds the key columns.
     */
    constructor(
        mappings: TableMapping[],
        private readonly taskNow: () => TaskSpec,
        private readonly decoderFor: (mapping: TableMapping, task: TaskSpec) => RowDecoder,
        private readonly onRejected?: (mapping: TableMapping, keyRow: SourceRow, reason: string) => void,
    ) {
        this.builtFor = taskNow();
        for (const m of mappings) this.set(m);
    }

    /** The task as it is now; when it was reconfigured, every table stream is rebuilt first. */
    private current(): TaskSpec {
        const now = this.taskNow();
        if (now !== this.builtFor) {
            this.builtFor = now;
            for (const t of [...this.tables.values()]) this.set(t.mapping);
        }
        return now;
    }

    /** Adds or replaces a table's mapping (after DDL changed it, or when a resumed stream restores one). */
    set(m: TableMapping): void {
        const task = this.current();
        this.tables.set(`${m.source.database}\u0000${m.source.name}`, { mapping: m, decoder: this.decoderFor(m, task), dml: dmlSelection(task, m) });
    }

    /** Every table the stream follows. */
    all(): TableMapping[] {
        return [...this.tables.values()].map((t) => t.mapping);
    }

    /** Stops following a table (DROP TABLE, or renamed away). */
    remove(database: string, table: string): void {
        this.tables.delete(`${database}\u0000${table}`);
    }

    /** The zongji schema filter: only selected tables' rows are decoded. */
    include(): Record<string, string[] | true> {
        const out: Record<string, string[] | true> = {};
        for (const t of this.tables.values()) {
            const db = t.mapping.source.database;
            const list = out[db];
            if (list !== true) out[db] = [...(list ?? []), t.mapping.source.name];
        }
        // Whole databases: tables created later are decoded from their first row on, before
        // the stream reaches their CREATE TABLE (the reader runs ahead of the applier).
        for (const o of this.current().objects) if (!o.tables) out[o.database] = true;
        return out;
    }

    selected(database: string, table: string): TableMapping | undefined {
        return this.tables.get(`${database}\u0000${table}`)?.mapping;
    }

    changes(txs: BinlogTransaction[], out: SourceChange[] = []): SourceChange[] {
        this.current();
        for (const tx of txs) for (const ev of tx.rows) this.eventChanges(ev, tx.end, tx.timestamp, out);
        return out;
    }

    private eventChanges(ev: BinlogRowEvent, position: BinlogPosition, commitTime: number, out: SourceChange[]): void {
        const t = this.tables.get(`${ev.database}\u0000${ev.table}`);
        if (!t || !t.dml.has(ev.kind)) return;
        const m = t.mapping;
        const d = t.decoder;
        for (const r of ev.rows) {
            try {
                out.push({
                    mapping: m, op: ev.kind,
                    before: ev.kind === "insert" ? null : d.row(r.before!),
                    after: ev.kind === "delete" ? null : d.row(r.after!),
                    image: ev.kind === "delete" ? undefined : d.fullImage(r.after!),
                    position, commitTime,
                });
            } catch (err) {
                if (!isUndecodableValue(err) || !this.onRejected) throw err;
                this.onRejected(m, d.keyRow(r.after ?? r.before!), err.message);
            }
        }
    }
}
