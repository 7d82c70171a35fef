import type { SourceColumn, SourceValue } from "../../engine/model";
import { isBinaryColumn } from "./snapshot";

/**
 * Binlog values in the representation the full load reads (MySQL's text protocol in a
 * UTC session, bytes for binary columns), so one encoder per destination serves both and
 * a row arrives identical whichever way it travelled. test/integration/binlog-values.test.ts
 * compares the two readers value by value.
 */

/** A value zongji decoded that we cannot represent exactly; the change is dirty data. */
export class UndecodableValueError extends Error {
    constructor(readonly column: string, readonly reason: string) {
        super(`column "${column}": ${reason}`);
        this.name = "UndecodableValueError";
    }
}

export type BinlogValueConverter = (v: unknown) => SourceValue;

const spatial = new Set(["geometry", "point", "linestring", "polygon", "multipoint", "multilinestring", "multipolygon", "geometrycollection"]);

/** Spatial values lose their SRID in zongji's decoding; such columns cannot be streamed exactly. */
export function isStreamableColumn(col: SourceColumn): boolean {
    return !spatial.has(col.dataType);
}

/** DTS's ROUND(column, precision) for FLOAT/DOUBLE below the default precision, on the decoded double. */
function rounded(x: number, digits: number): string {
    if (!Number.isFinite(x)) return String(x);
    if (digits >= 100) return String(x);
    return String(Number(x.toFixed(digits)));
}

function floatText(x: number): string {
    return Object.is(x, -0) ? "-0" : String(x);
}

export function binlogValueConverter(col: SourceColumn, precision: { float: number; double: number }): BinlogValueConverter {
    const name = col.name;
    if (isBinaryColumn(col)) {
        if (spatial.has(col.dataType)) {
            return () => { throw new UndecodableValueError(name, "spatial values cannot be read exactly from the binlog (their SRID is lost)"); };
        }
        return (v) => {
            if (v === null || v === undefined) return null;
            if (Buffer.isBuffer(v)) return v;
            if (typeof v === "string") return Buffer.from(v, "binary");
            throw new UndecodableValueError(name, `expected bytes, got ${typeof v}`);
        };
    }
    switch (col.dataType) {
        case "float": {
            const p = precision.float;
            return (v) => (v === null || v === undefined ? null : p < 38 ? rounded(v as number, p) : floatText(v as number));
        }
        case "double": case "real": {
            const p = precision.double;
            return (v) => (v === null || v === undefined ? null : p < 308 ? rounded(v as number, p) : floatText(v as number));
        }
        case "year":
            // YEAR 0000 is stored as 0 and decoded as 1900, a year the type cannot hold otherwise.
            return (v) => (v === null || v === undefined ? null : Number(v) === 1900 ? "0000" : String(v));
        case "enum":
            // Index 0 (the error value '') has no member: zongji yields undefined for it.
            return (v) => (v === null ? null : v === undefined ? "" : String(v));
        case "set":
            return (v) => (v === null || v === undefined ? null : String(v));
        case "date": case "datetime": case "timestamp": case "time":
            return (v) => {
                if (v === null || v === undefined) return null;
                if (typeof v === "string") return v;
                throw new UndecodableValueError(name, `expected a date string, got ${Object.prototype.toString.call(v)}`);
            };
        default:
            return (v) => {
                if (v === null || v === undefined) return null;
                if (typeof v === "string") return v;
                if (typeof v === "number" || typeof v === "bigint") return String(v);
                // A text column zongji returned as bytes (binary collation quirks): the text is UTF-8.
                if (Buffer.isBuffer(v)) return v.toString("utf8");
                if (typeof v === "object") return JSON.stringify(v);
                return String(v);
            };
    }
}
