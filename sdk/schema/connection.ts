import { isIP } from "node:net";
import { z } from "zod";
import { intInRange } from "./common";

/** Database engines a DatabaseConnection can point at. */
export const sqlEngines = ["mysql", "polardb-mysql", "mariadb", "postgresql", "analyticdb-postgresql"] as const;
export const mysqlFamilyEngines = ["mysql", "polardb-mysql", "mariadb"] as const;
export const postgresFamilyEngines = ["postgresql", "analyticdb-postgresql"] as const;
export const engines = [...sqlEngines, "tablestore", "maxcompute"] as const;
export type Engine = (typeof engines)[number];
export type MysqlFamilyEngine = (typeof mysqlFamilyEngines)[number];

export function isMysqlFamily(engine: Engine): engine is MysqlFamilyEngine {
    return (mysqlFamilyEngines as readonly string[]).includes(engine);
}
export function isPostgresFamily(engine: Engine): boolean {
    return (postgresFamilyEngines as readonly string[]).includes(engine);
}

/**
 * TLS as DTS's "Connection Method": non-encrypted, SSL-encrypted, or SSL with CA
 * verification; `verify-full` also checks that the certificate names the server (as
 * MySQL's VERIFY_IDENTITY and libpq's verify-full), which verify-ca does not.
 */
export const tlsSchema = z.strictObject({
        mode: z.enum(["disabled", "required", "verify-ca", "verify-full"]).default("disabled"),
        /** PEM-encoded CA certificate(s); required for `verify-ca` and `verify-full`. */
        ca: z.string().optional(),
        /** `verify-full`: the name the certificate must carry (defaults to `host`), e.g. when connecting through a tunnel. */
        serverName: z
            .string()
            .min(1, "must not be empty")
            // An IP address is not sent as the TLS server name, so mysql2 would check the certificate against `host` instead.
            .refine((s) => isIP(s) === 0, "must be a DNS name: to check an IP address in the certificate, connect with host set to that address and leave serverName out")
            .optional(),
    }).describe("tls")
    .superRefine((tls, ctx) => {
        if ((tls.mode === "verify-ca" || tls.mode === "verify-full") && !tls.ca) {
            ctx.addIssue({ code: "custom", path: ["ca"], message: `is required when tls.mode is "${tls.mode}": pass the PEM text of the CA that signed the server certificate` });
        }
        if (tls.ca !== undefined && !tls.ca.includes("-----BEGIN CERTIFICATE-----")) {
            ctx.addIssue({ code: "custom", path: ["ca"], message: "must be PEM text starting with -----BEGIN CERTIFICATE----- (the file's contents, not its path)" });
        }
    });

const sqlConnectionFields = {
    host: z.string().min(1, "must name the server's host name or IP address"),
    port: intInRange(1, 65535).optional(),
    user: z.string().min(1, "must name the database account"),
    /** Always handled as a Pulumi secret. */
    password: z.string().default(""),
    tls: tlsSchema.default({ mode: "disabled" }),
    /** How long Test Connectivity waits for the server, in seconds. */
    connectTimeoutSeconds: intInRange(1, 300).default(10),
};

export const mysqlConnectionSchema = z.strictObject({
    engine: z.enum(mysqlFamilyEngines),
    ...sqlConnectionFields,
}).describe("a MySQL-family DatabaseConnection");

export const postgresConnectionSchema = z.strictObject({
    engine: z.enum(postgresFamilyEngines),
    ...sqlConnectionFields,
    /** The database to connect to; MySQL databases become schemas inside it. */
    database: z.string().min(1).default("postgres"),
}).describe("a PostgreSQL-family DatabaseConnection");

const accessKeyFields = {
    /** AccessKey ID of the account that owns the instance. */
    accessKeyId: z.string().min(1, "must be the AccessKey ID"),
    /** AccessKey secret; always handled as a Pulumi secret. */
    accessKeySecret: z.string().min(1, "must be the AccessKey secret"),
    connectTimeoutSeconds: intInRange(1, 300).default(10),
};

const httpEndpoint = z
    .string()
    .regex(/^https?:\/\/[^\s/]+/, "must be an http:// or https:// URL, for example https://myinstance.cn-hangzhou.ots.aliyuncs.com");

export const tablestoreConnectionSchema = z.strictObject({
    engine: z.literal("tablestore"),
    endpoint: httpEndpoint,
    instanceName: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9-]{2,15}$/, "must be a Tablestore instance name: 3-16 letters, digits or hyphens, starting with a letter"),
    ...accessKeyFields,
}).describe("a Tablestore DatabaseConnection");

export const maxcomputeConnectionSchema = z.strictObject({
    engine: z.literal("maxcompute"),
    endpoint: httpEndpoint,
    project: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{2,27}$/, "must be a MaxCompute project name: 3-28 letters, digits or underscores, starting with a letter"),
    ...accessKeyFields,
}).describe("a MaxCompute DatabaseConnection");

export const connectionArgsSchema = z.discriminatedUnion(
    "engine",
    [mysqlConnectionSchema, postgresConnectionSchema, tablestoreConnectionSchema, maxcomputeConnectionSchema],
    { error: () => `must be one of ${engines.map((e) => `"${e}"`).join(", ")}` },
);

/** What a user writes (defaults not yet applied). */
export type ConnectionArgsInput = z.input<typeof connectionArgsSchema>;
/** What the engine works with (defaults applied, validated). */
export type ConnectionSpec = z.output<typeof connectionArgsSchema>;
export type SqlConnectionSpec = z.output<typeof mysqlConnectionSchema> | z.output<typeof postgresConnectionSchema>;
export type MysqlConnectionSpec = z.output<typeof mysqlConnectionSchema>;
export type PostgresConnectionSpec = z.output<typeof postgresConnectionSchema>;
export type TablestoreConnectionSpec = z.output<typeof tablestoreConnectionSchema>;
export type MaxComputeConnectionSpec = z.output<typeof maxcomputeConnectionSchema>;

/** Fields whose values are secrets wherever they go (state, logs, errors). */
export const secretConnectionFields = ["password", "accessKeySecret"] as const;

export function defaultPort(engine: Engine): number | undefined {
    if (isMysqlFamily(engine)) return 3306;
    if (isPostgresFamily(engine)) return 5432;
    return undefined;
}
