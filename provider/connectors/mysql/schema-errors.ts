import type { PermanentFailure } from "../../engine/retry";
/** Where in a schema a problem sits; as much as is known. */
export interface SchemaLocation {
    database?: string;
    table?: string;
    column?: string;
    /** A view, routine, trigger or event, when the problem is not about a table. */
    object?: string;
}

function describe(l: SchemaLocation): string {
    const parts: string[] = [];
    if (l.database !== undefined) parts.push(`database "${l.database}"`);
    if (l.table !== undefined) parts.push(`table "${l.table}"`);
    if (l.column !== undefined) parts.push(`column "${l.column}"`);
    if (l.object !== undefined) parts.push(`"${l.object}"`);
    return parts.length > 0 ? parts.join(", ") + ": " : "";
}

/** The source's catalog could not be read, or read something this engine cannot represent. */
export class IntrospectionError extends Error {
    constructor(readonly location: SchemaLocation, readonly detail: string) {
        super(`introspection failed: ${describe(location)}${detail}`);
        this.name = "IntrospectionError";
    }
}

/** A destination statement cannot be built from the source schema and mapping as given. */
export class DdlError extends Error implements PermanentFailure {
    readonly permanent = true;
    constructor(readonly location: SchemaLocation, readonly detail: string) {
        super(`cannot build DDL: ${describe(location)}${detail}`);
        this.name = "DdlError";
    }
}
