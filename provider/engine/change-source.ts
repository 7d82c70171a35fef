import type { TaskSpec } from "../../sdk/schema/task";
import type { FilterEvaluator } from "./incremental/change-model";
import type { BinlogTransaction, RowImage } from "./incremental/source-transaction";
import { type BinlogPosition, formatPosition, type SourceRow, type SourceTable, type TableMapping } from "./model";
import type { PermanentFailure } from "./retry";
import type { ParsedAlter, TableAlteration } from "./schema-change/alter";
import type { ClassifiedStatement, LoggedDml } from "./schema-change/statement";

/**
 * A source's change log as the incremental stream reads it: sessions that deliver committed
 * transactions from a position, the statements in them read into the engine's vocabulary,
 * and the decoding of row images into the values the full load reads. The stream decides
 * what to apply; the source knows only its own log.
 */
export interface ChangeSource {
    readonly statements: StatementReader;
    /** How a mapped table's row images become rows (mapped columns), and full images for row filters. */
    rowDecoder(mapping: TableMapping, task: TaskSpec): RowDecoder;
    /** Opens a reading session: the log from `from`, for one task. */
    openSession(options: ChangeSessionOptions): Promise<ChangeSession>;
}

export interface RowDecoder {
    /** The mapped columns of an image, in mapping order. Throws UndecodableValueError for a value it cannot represent exactly. */
    row(image: RowImage): SourceRow;
    /** Every source column of an image (for row filters); undefined when the table has no filter. */
    fullImage(image: RowImage): SourceRow | undefined;
    /** The key columns of an image, as far as they decode, for naming a refused row. */
    keyRow(image: RowImage): SourceRow;
}

/** A value of a row image the decoder cannot represent exactly: the row is dirty data. */
export interface UndecodableValue {
    readonly undecodable: true;
    readonly message: string;
}

export function isUndecodableValue(err: unknown): err is UndecodableValue {
    return err !== null && typeof err === "object" && (err as Partial<UndecodableValue>).undecodable === true;
}

export interface ChangeSessionOptions {
    taskId: string;
    task: TaskSpec;
    /** Where to read from. */
    from: BinlogPosition;
    /** Transactions up to here were applied already (an XA transaction's rows read again): skipped. */
    appliedThrough?: BinlogPosition;
    /** Tables whose rows are decoded, by database: a list, or every table (true). */
    include: Record<string, string[] | true>;
}

/** One reading of the change log, until closed. Fails on its own when the source breaks. */
export interface ChangeSession {
    /** Up to about `maxRows` row changes of committed transactions, waiting at most `idleMs` for the first. */
    take(maxRows: number, idleMs: number): Promise<BinlogTransaction[]>;
    /** When anything (an event or the source's keep-alive) last arrived. */
    readonly lastActivity: number;
    /** Whether everything the source had logged when last asked has been delivered. */
    readonly drained: boolean;
    /** How long data stays unanswered before the session counts as dead, ms. */
    readonly silenceLimitMs: number;
    /** Where the source's log ends now (latency is measured against it); null when unknown. */
    logEnd(): Promise<BinlogPosition | null>;
    /** Whether a row filter holds for full images, evaluated by the source (its expression language). */
    readonly filter: FilterEvaluator;
    /**
     * The delay of the task's own heartbeat as seen in these transactions, ms, when one is
     * among them; the source writes it into its log while the session runs (task.heartbeat).
     */
    heartbeatLag(txs: BinlogTransaction[]): number | undefined;
    /** Why the heartbeat cannot be written, when it cannot. */
    readonly heartbeatError?: string;
    close(): Promise<void>;
}

/** Reads logged statements into the engine's vocabulary, in the source's own SQL dialect. */
export interface StatementReader {
    classify(sql: string, defaultDatabase: string): ClassifiedStatement;
    /** DML logged as text (STATEMENT format), with the tables it writes; null for anything else. */
    loggedDml(sql: string, defaultDatabase: string): LoggedDml | null;
    /** ALTER TABLE; throws DdlParseError when the statement cannot be read. */
    alterTable(sql: string, defaultDatabase: string): ParsedAlter;
    /** CREATE/DROP INDEX as the ALTER it amounts to; null when not such a statement. */
    indexStatement(sql: string, defaultDatabase: string): ParsedAlter | null;
    /** The table a CREATE TABLE describes, when the statement alone says it (not … LIKE / … SELECT). */
    createTable(sql: string, defaultDatabase: string): SourceTable | null;
    /** The alteration applied to the table the stream knows, as the source applies it. */
    alteration(table: SourceTable, parsed: ParsedAlter): TableAlteration;
}

/** The stream's position is no longer in the source's log: it cannot go on, only start over. */
export class PositionPurgedError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly position: BinlogPosition, cause: string) {
        super(
            `the source no longer has the binary log at ${formatPosition(position)} (${cause}). The changes since then are lost for this task: ` +
            `release it and run a new full migration (e.g. pulumi destroy, then pulumi up), and keep binary logs longer (at least 7 days).`,
        );
        this.name = "PositionPurgedError";
    }
}
