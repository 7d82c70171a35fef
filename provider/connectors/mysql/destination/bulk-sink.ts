import { Readable } from "node:stream";
import type { Connection, ResultSetHeader, RowDataPacket } from "mysql2/promise";
import { escape } from "mysql2";
import type { MysqlConnectionSpec } from "../../../../sdk/schema/connection";
import type { SourceColumn, SourceRow, SourceValue, TableMapping } from "../../../engine/model";
import { type BulkSink, type ChunkWrite, DataRejectedError, targetRangeCondition } from "../../../engine/sink";
import { connectMysql } from "../connect";
import { insertLenient, isDataError, markEngineSession, STRICT_MODE } from "./write-modes";
import { qualified, quoteIdent } from "../identifiers";
import { LoadTextEncoder } from "./load-text";
import { isBinaryColumn, RAW_ROWS, type RawRows } from "../row-packets";

/** Packets stay well under max_allowed_packet (16 MiB by default on MariaDB and MySQL 8). */
const MAX_STATEMENT_BYTES = 4 * 1024 * 1024;

const LOAD_ESCAPES = /[\\\t\n\r\0]/;
const LOAD_ESCAPES_G = /[\\\t\n\r\0]/g;
const loadEscape = (ch: string) => (ch === "\\" ? "\\\\" : ch === "\t" ? "\\t" : ch === "\n" ? "\\n" : ch === "\r" ? "\\r" : "\\0");

/**
 * How a value is written in LOAD DATA's tab-separated text (ESCAPED BY '\\', NULL as \N).
 * Binary columns travel as hex and are decoded with UNHEX by the statement, because the
 * file is read as utf8mb4 text (so latin1 and other text columns are converted by the
 * server exactly as INSERT literals are).
 */
function loadFieldFor(col: SourceColumn, binary: boolean): (v: SourceValue) => string {
    if (binary) return (v) => (v === null ? "\\N" : (v as Buffer).toString("hex"));
    const negZero = col.dataType === "float" && !col.unsigned;
    return (v) => {
        if (v === null) return "\\N";
        const s = v as string;
        if (negZero && s === "-0") return "-1e-60";
        return LOAD_ESCAPES.test(s) ? s.replace(LOAD_ESCAPES_G, loadEscape) : s;
    };
}

/** Destination column types that take LOAD DATA's bytes as they are (see MysqlBulkSink.takesBytesAsIs). */
const textTypes = new Set(["char", "varchar", "tinytext", "text", "mediumtext", "longtext", "enum", "set"]);
const utf8Charsets = new Set(["utf8mb4", "utf8mb3", "utf8"]);
const plainTypes = new Set(["tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric", "float", "double", "real", "date", "datetime", "timestamp", "time", "year"]);

/**
 * LOAD DATA LOCAL's file travels as a byte stream in packets the server reads one by one,
 * each at most max_allowed_packet (16 MiB by default on MariaDB and MySQL 8); a packet
 * boundary may fall anywhere, even inside a value. Pieces of at most 1 MiB keep a single
 * large row (a 10 MB text escaped, a blob as hex) within any server's limit.
 */
const MAX_FILE_PACKET = 1024 * 1024;
function* packets(data: Buffer): Generator<Buffer> {
    for (let o = 0; o < data.length; o += MAX_FILE_PACKET) yield data.subarray(o, o + MAX_FILE_PACKET);
}


/**
 * How a value is written. A FLOAT holding -0 (the reader sends '-0') is written as a
 * negative value that underflows to -0 in single precision: MariaDB turns a stored -0.0
 * into +0 (in FLOAT and DOUBLE alike) but keeps the sign of a value rounded to zero when
 * narrowed to FLOAT, which is how a FLOAT -0 comes to exist on the source in the first place.
 */
function literalFor(col: SourceColumn): (v: SourceValue) => string {
    if (col.dataType === "float" && !col.unsigned) return (v) => (v === "-0" ? "-1e-60" : escape(v));
    return (v) => escape(v);
}

/**
 * ENUM columns whose '' can only be the error value (index 0): outside strict mode MySQL
 * stores an invalid member as '', and strict mode refuses to write '' (or 0) back. Rows
 * holding it are written one by one with strict mode off, and the only warning accepted
 * is that very truncation (ER 1265 on that column); anything else undoes the row.
 */
function errorValueColumns(writable: { c: { source: SourceColumn; target: string }; i: number }[]): { i: number; target: string }[] {
    return writable
        .filter(({ c }) => c.source.dataType === "enum" && !(c.source.enumValues ?? []).includes(""))
        .map(({ c, i }) => ({ i, target: c.target }));
}



/**
 * Writes chunks as multi-row INSERTs in one transaction per chunk. The session turns off
 * foreign-key checks (as DTS does during full load), keeps explicit zeros in
 * AUTO_INCREMENT columns, allows zero dates, and is strict so a value that does not fit
 * is an error, never a silent truncation.
 */
export class MysqlBulkSink implements BulkSink {
    private readonly bytesAsIs = new Map<string, Set<string>>();

    private constructor(private readonly conn: Connection, private readonly localInfile: boolean) {}

    static async open(spec: MysqlConnectionSpec): Promise<MysqlBulkSink> {
        const conn = await connectMysql(spec);
        await conn.query(`SET SESSION foreign_key_checks = 0, SESSION time_zone = '+00:00', SESSION sql_mode = '${STRICT_MODE}'`);
        await markEngineSession(conn);
        // LOAD DATA LOCAL is the fast path; servers that refuse it (local_infile=OFF) get multi-row INSERTs.
        const [v] = await conn.query<RowDataPacket[]>("SELECT @@GLOBAL.local_infile AS on_");
        return new MysqlBulkSink(conn, Number(v[0].on_) === 1);
    }

    /**
     * The whole chunk in one LOAD DATA LOCAL statement, its text generated batch by batch
     * while the server reads it (memory: about one read batch). The server turns data and
     * duplicate-key errors of a LOCAL load into warnings (it cannot stop the client's
     * transfer), so any warning that is not an expected one undoes the chunk and raises a
     * DataRejectedError: the engine then writes the chunk row by row with strict INSERTs,
     * where every refused row meets the dirty-data policy. Nothing is dropped silently.
     */
    private async loadAll(
        w: ChunkWrite,
        writable: { c: { source: SourceColumn; target: string }; i: number }[],
        table: string,
        lenientFor: (row: SourceRow) => string[],
        tuple: (row: SourceRow) => string,
        head: string,
    ): Promise<number> {
        const binary = writable.map(({ c }) => isBinaryColumn(c.source));
        const fields = writable.map(({ c }, j) => loadFieldFor(c.source, binary[j]));
        const idx = writable.map(({ i }) => i);
        // The file is read as bytes (CHARACTER SET binary): the server then skips its per-byte
        // character scan, and columns that store UTF-8 text or parse ASCII take the bytes as
        // they are; any other column converts from utf8mb4 exactly as a utf8mb4 file would.
        const asIs = await this.takesBytesAsIs(w.mapping.targetSchema, w.mapping.targetTable);
        const direct = writable.map(({ c }, j) => !binary[j] && asIs(c.target));
        const targets = writable.map(({ c }, j) => (direct[j] ? quoteIdent(c.target) : `@v${j}`));
        const sets = writable
            .map(({ c }, j) => (direct[j] ? null : `${quoteIdent(c.target)} = ${binary[j] ? `UNHEX(@v${j})` : `CONVERT(@v${j} USING utf8mb4)`}`))
            .filter((x) => x !== null);
        const sql = `LOAD DATA LOCAL INFILE 'chunk' ${w.conflict === "keep-existing" ? "IGNORE " : ""}INTO TABLE ${table} CHARACTER SET binary ` +
            "FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' " +
            `(${targets.join(", ")})${sets.length ? ` SET ${sets.join(", ")}` : ""}`;
        const width = idx.length;
        let loaded = 0;
        // Rows strict mode would refuse as they are (ENUM error values) are set aside and written after the load.
        const lenientRows: { row: SourceRow; columns: string[] }[] = [];
        const raw = (w.batches as Partial<{ [RAW_ROWS]: RawRows }>)[RAW_ROWS];
        const enumError = new Set(errorValueColumns(writable).map(({ i }) => i));
        async function* text(): AsyncGenerator<Buffer> {
            if (raw) {
                // The source's bytes as they are, escaped on the way (load-text.ts): no JS strings.
                const written = new Set(idx);
                const encoder = new LoadTextEncoder(w.mapping.columns.map((c, i) => ({
                    source: c.source, written: written.has(i), binary: isBinaryColumn(c.source), enumError: enumError.has(i),
                })));
                for await (const batch of raw(encoder)) {
                    for (const row of batch.setAside) lenientRows.push({ row, columns: lenientFor(row) });
                    loaded += batch.loaded;
                    w.onProgress(batch.loaded, batch.data.length);
                    yield* packets(batch.data);
                }
                return;
            }
            for await (const batch of w.batches) {
                let out = "";
                let n = 0;
                for (const row of batch) {
                    const lenient = lenientFor(row);
                    if (lenient.length) {
                        lenientRows.push({ row, columns: lenient });
                        continue;
                    }
                    let line = fields[0](row[idx[0]]);
                    for (let j = 1; j < width; j++) line += "\t" + fields[j](row[idx[j]]);
                    out += line + "\n";
                    n++;
                }
                loaded += n;
                w.onProgress(n, out.length);
                yield* packets(Buffer.from(out, "utf8"));
            }
        }
        // The source stream's errors surface here, not as an unhandled stream error.
        let sourceError: unknown;
        const stream = Readable.from(text()).on("error", (err) => (sourceError = err));
        let res: ResultSetHeader;
        try {
            [res] = await this.conn.query<ResultSetHeader>({ sql, infileStreamFactory: () => stream } as never);
        } catch (err) {
            throw sourceError ?? err;
        }
        if (sourceError) throw sourceError;
        if (res.warningStatus > 0) {
            const [warnings] = await this.conn.query<RowDataPacket[]>("SHOW WARNINGS LIMIT 5");
            const bad = warnings.filter((x) => !(w.conflict === "keep-existing" && Number(x.Code) === 1062));
            if (bad.length) throw Object.assign(new Error(`LOAD DATA into ${table}: ${bad.map((x) => x.Message).join("; ")}`), { errno: Number(bad[0].Code) });
        }
        if (w.conflict === "error" && res.affectedRows !== loaded) {
            throw Object.assign(new Error(`LOAD DATA into ${table} wrote ${res.affectedRows} of ${loaded} rows`), { errno: 1062 });
        }
        for (const { row, columns } of lenientRows) {
            await this.insertLenient(head + tuple(row), columns, w.conflict === "keep-existing");
            w.onProgress(1, 0);
        }
        return loaded + lenientRows.length;
    }

    /**
     * Which of a destination table's columns store a LOAD DATA field read as bytes exactly as
     * they would store it read as utf8mb4: text columns in UTF-8 (the bytes are their
     * encoding, checked for well-formedness as before) and numbers and times (parsed from
     * ASCII). JSON (MySQL checks its charset), binary, spatial and other charsets' columns,
     * and columns not found, are converted from utf8mb4 by the statement instead.
     */
    private async takesBytesAsIs(schema: string, table: string): Promise<(column: string) => boolean> {
        const key = `${schema}.${table}`;
        let cols = this.bytesAsIs.get(key);
        if (!cols) {
            const [rows] = await this.conn.query<RowDataPacket[]>(
                "SELECT COLUMN_NAME AS name, DATA_TYPE AS type, CHARACTER_SET_NAME AS cs FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ?",
                [schema, table],
            );
            cols = new Set(rows
                .filter((r) => (textTypes.has(String(r.type).toLowerCase()) && utf8Charsets.has(String(r.cs).toLowerCase())) || plainTypes.has(String(r.type).toLowerCase()))
                .map((r) => String(r.name).toLowerCase()));
            this.bytesAsIs.set(key, cols);
        }
        const found = cols;
        return (column) => found.has(column.toLowerCase());
    }

    async writeChunk(w: ChunkWrite): Promise<number> {
        // Generated columns are computed by the destination; writing them is an error.
        const writable = w.mapping.columns.map((c, i) => ({ c, i })).filter(({ c }) => c.source.generationExpression === null);
        const table = qualified(w.mapping.targetSchema, w.mapping.targetTable);
        // keep-existing: a no-op ON DUPLICATE KEY UPDATE leaves the destination's row alone.
        // (INSERT IGNORE would also turn bad values into silent truncations.)
        const first = quoteIdent(writable[0].c.target);
        const head = `INSERT INTO ${table} (${writable.map(({ c }) => quoteIdent(c.target)).join(", ")}) VALUES `;
        const tail = w.conflict === "keep-existing" ? ` ON DUPLICATE KEY UPDATE ${first} = ${first}` : "";
        const literals = writable.map(({ c }) => literalFor(c.source));
        const tuple = (row: SourceRow) => `(${writable.map(({ i }, j) => literals[j](row[i])).join(",")})`;
        const enumErrorCols = errorValueColumns(writable);
        const lenientFor = (row: SourceRow) => enumErrorCols.filter(({ i }) => row[i] === "").map((x) => x.target);
        await this.conn.query("START TRANSACTION");
        try {
            if (w.redo && w.conflict === "error") {
                await this.conn.query(`DELETE FROM ${table}${w.range && w.mapping.key ? ` WHERE ${targetRangeCondition(w.mapping, w.range, quoteIdent)}` : ""}`);
            }
            let rows = 0;
            if (w.isolateRows) {
                for await (const batch of w.batches) {
                    for (const row of batch) {
                        try {
                            const lenient = lenientFor(row);
                            if (lenient.length) await this.insertLenient(head + tuple(row) + tail, lenient, w.conflict === "keep-existing");
                            else await this.conn.query(head + tuple(row) + tail);
                            rows++;
                            w.onProgress(1, 0);
                        } catch (err) {
                            if (!isDataError(err)) throw err;
                            w.onRejected(row, (err as Error).message);
                        }
                    }
                }
            } else if (this.localInfile) {
                rows = await this.loadAll(w, writable, table, lenientFor, (r) => tuple(r) + tail, head);
            } else {
                let sql = "";
                let n = 0;
                const flush = async () => {
                    if (n === 0) return;
                    await this.conn.query(sql + tail);
                    rows += n;
                    w.onProgress(n, sql.length);
                    sql = "";
                    n = 0;
                };
                for await (const batch of w.batches) {
                    for (const row of batch) {
                        const lenient = lenientFor(row);
                        if (lenient.length) {
                            await flush();
                            await this.insertLenient(head + tuple(row) + tail, lenient, w.conflict === "keep-existing");
                            rows++;
                            w.onProgress(1, 0);
                            continue;
                        }
                        const t = tuple(row);
                        sql += n === 0 ? head + t : "," + t;
                        n++;
                        if (sql.length >= MAX_STATEMENT_BYTES) await flush();
                    }
                }
                await flush();
            }
            await this.conn.query("COMMIT");
            return rows;
        } catch (err) {
            await this.conn.query("ROLLBACK").catch(() => undefined);
            if (isDataError(err)) throw new DataRejectedError((err as Error).message, table);
            throw err;
        }
    }

    private insertLenient(sql: string, columns: string[], ignoreDuplicates: boolean): Promise<void> {
        return insertLenient(this.conn, sql, columns, ignoreDuplicates);
    }

    async close(): Promise<void> {
        await this.conn.end().catch(() => undefined);
    }
}
