import type { PermanentFailure } from "../retry";
import { z } from "zod";
import type { TableMapping } from "../model";

/**
 * The streamed tables' mappings as a checkpoint stores them in the user's destination
 * (stream_checkpoint.stream_schema). Written by one engine version, read by a later one
 * after an upgrade, so the text carries a version and is validated on read.
 *
 * Version 1 (engine 0.1.0, before this format): a bare JSON array of mappings.
 * Version 2: { "version": 2, "tables": [...] }.
 */
export const STREAM_SCHEMA_VERSION = 2;

const sourceColumn = z.looseObject({
    name: z.string(),
    ordinal: z.number(),
    dataType: z.string(),
    columnType: z.string(),
    nullable: z.boolean(),
    defaultValue: z.string().nullable(),
    extra: z.string(),
    generationExpression: z.string().nullable(),
    unsigned: z.boolean(),
    maxLength: z.number().nullable(),
    numericPrecision: z.number().nullable(),
    numericScale: z.number().nullable(),
    datetimePrecision: z.number().nullable(),
    charset: z.string().nullable(),
    collation: z.string().nullable(),
    enumValues: z.array(z.string()).nullable(),
    comment: z.string(),
    // Absent in mappings written before MySQL 8 invisible columns were read.
    invisible: z.boolean().default(false),
    isJson: z.boolean(),
});

const indexColumns = z.array(z.looseObject({ name: z.string(), prefixLength: z.number().nullable(), descending: z.boolean() }));

const sourceTable = z.looseObject({
    database: z.string(),
    name: z.string(),
    columns: z.array(sourceColumn),
    primaryKey: z.array(z.string()).nullable(),
    primaryKeyParts: indexColumns.optional(),
    indexes: z.array(z.looseObject({ name: z.string(), unique: z.boolean(), columns: indexColumns, kind: z.string(), comment: z.string().optional() })),
    foreignKeys: z.array(z.looseObject({
        name: z.string(), columns: z.array(z.string()), referencedDatabase: z.string(), referencedTable: z.string(),
        referencedColumns: z.array(z.string()), onUpdate: z.string(), onDelete: z.string(),
    })),
    checks: z.array(z.looseObject({ name: z.string(), clause: z.string(), column: z.string().optional() })),
    engine: z.string(),
    charset: z.string(),
    collation: z.string(),
    comment: z.string(),
    estimatedRows: z.number(),
    dataBytes: z.number(),
});

const tableMapping = z.looseObject({
    source: sourceTable,
    targetSchema: z.string(),
    targetTable: z.string(),
    columns: z.array(z.looseObject({ source: sourceColumn, target: z.string(), zeroDate: z.enum(["minus-infinity", "epoch"]).optional() })),
    where: z.string().nullable(),
    key: z.array(z.string()).nullable(),
});

const versioned = z.object({ version: z.literal(STREAM_SCHEMA_VERSION), tables: z.array(tableMapping) });

/** The stored text is not a stream schema this engine can read (corrupt, or from a newer engine). */
export class StreamSchemaFormatError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly taskId: string, detail: string) {
        super(`the stream checkpoint of task ${taskId} at the destination (pulumi_dts.stream_checkpoint.stream_schema) cannot be read: ${detail}. ` +
            "If a newer pulumi-dts wrote it, upgrade this engine; otherwise release the task and migrate again.");
        this.name = "StreamSchemaFormatError";
    }
}

export function encodeStreamSchema(tables: TableMapping[]): string {
    return JSON.stringify({ version: STREAM_SCHEMA_VERSION, tables });
}

export function decodeStreamSchema(taskId: string, text: string): TableMapping[] {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (err) {
        throw new StreamSchemaFormatError(taskId, `not JSON (${(err as Error).message})`);
    }
    if (Array.isArray(raw)) raw = { version: STREAM_SCHEMA_VERSION, tables: raw }; // version 1
    const version = (raw as { version?: unknown } | null)?.version;
    if (typeof version === "number" && version > STREAM_SCHEMA_VERSION) {
        throw new StreamSchemaFormatError(taskId, `format version ${version} is newer than this engine's ${STREAM_SCHEMA_VERSION}`);
    }
    const parsed = versioned.safeParse(raw);
    if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new StreamSchemaFormatError(taskId, `${issue.path.join(".") || "(document)"}: ${issue.message}`);
    }
    return parsed.data.tables as TableMapping[];
}
