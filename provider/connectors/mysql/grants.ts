import type { MysqlPrivileges } from "../../engine/facts";

// MariaDB 10.5 split and renamed replication privileges; map them to the names DTS documents.
const aliases: Record<string, string> = {
    "BINLOG MONITOR": "REPLICATION CLIENT",
    "REPLICA MONITOR": "REPLICATION CLIENT",
    "REPLICATION REPLICA": "REPLICATION SLAVE",
    "SLAVE MONITOR": "REPLICATION CLIENT",
};

const ALL = "ALL PRIVILEGES";

/**
 * Reads `SHOW GRANTS` lines into global and per-database privilege sets.
 * Table- and column-level grants are folded into their database: prechecks only ask
 * whether the account can read what it migrates, and say which table when it cannot.
 */
export function parseGrants(lines: readonly string[]): MysqlPrivileges {
    const global = new Set<string>();
    const databases: Record<string, Set<string>> = {};
    for (const line of lines) {
        const m = /^GRANT (.+?) ON (?:(?:TABLE|FUNCTION|PROCEDURE) )?(\S+) TO /i.exec(line);
        if (!m) continue;
        const privs = splitPrivileges(m[1]).map((p) => aliases[p] ?? p);
        const on = m[2];
        if (on === "*.*") {
            privs.forEach((p) => global.add(p));
            continue;
        }
        const db = unquote(on.split(".")[0]);
        (databases[db] ??= new Set()).forEach(() => undefined);
        privs.forEach((p) => databases[db].add(p));
    }
    const has = (p: string) => global.has(ALL) || global.has(p);
    const dbSets = Object.fromEntries(Object.entries(databases).map(([k, v]) => [k, [...v].sort()]));
    return {
        global: [...global].sort(),
        databases: dbSets,
        select: has("SELECT"),
        replicationSlave: has("REPLICATION SLAVE"),
        replicationClient: has("REPLICATION CLIENT"),
        showView: has("SHOW VIEW"),
    };
}

function splitPrivileges(list: string): string[] {
    // Column grants look like "SELECT (a, b)"; drop the column lists before splitting.
    return list
        .replace(/\([^)]*\)/g, "")
        .split(",")
        .map((p) => p.trim().toUpperCase().replace(/\s+/g, " "))
        .filter((p) => p.length > 0 && p !== "USAGE");
}

function unquote(name: string): string {
    return name.replace(/^`|`$/g, "").replace(/``/g, "`").replace(/\\_/g, "_");
}
