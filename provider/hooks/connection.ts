/**
 * Dynamic-provider hooks of DatabaseConnection: thin adapters from Pulumi's calls to
 * Test Connectivity. Inputs arrive as plain values (the dynamic provider host unwraps
 * secrets); every message leaving here is scrubbed of them.
 */
import { connectionArgsSchema, defaultPort, type ConnectionSpec } from "../../sdk/schema/connection";
import { type CheckFailure, validate } from "../check";
import { ConnectionError, redact } from "../errors/connection-error";
import type { ConnectionFacts } from "../engine/facts";
import { connectionId, factDrift, testConnectivity } from "../connectors/probe";
import { connectionFieldFailures } from "../unimplemented-fields";

type Props = Record<string, unknown>;

/** Outputs of a DatabaseConnection (besides its inputs, which Pulumi keeps as they were). */
export interface ConnectionOutputs {
    connectionId: string;
    engine: string;
    endpoint: string;
    connectivity: "verified" | "not-tested";
    flavour: string;
    serverVersion: string;
    facts: ConnectionFacts;
    note: string;
    reachable: boolean;
    lastError: string;
    drift: string[];
}

export async function check(_olds: Props, news: Props): Promise<{ inputs: Props; failures: CheckFailure[] }> {
    const args = inputsOf(news);
    const result = validate(connectionArgsSchema, args);
    return { inputs: news, failures: [...(result.ok ? [] : result.failures), ...connectionFieldFailures(args)] };
}

function parse(inputs: Props): ConnectionSpec {
    const result = validate(connectionArgsSchema, inputsOf(inputs));
    if (!result.ok) {
        throw new Error(`invalid DatabaseConnection arguments: ${result.failures.map((f) => f.reason).join("; ")}`);
    }
    return result.value;
}

function secretsOf(spec: ConnectionSpec): string[] {
    return "password" in spec ? [spec.password] : [spec.accessKeySecret];
}

function endpointOf(spec: ConnectionSpec): string {
    if (spec.engine === "tablestore") return `${spec.endpoint} (instance ${spec.instanceName})`;
    if (spec.engine === "maxcompute") return `${spec.endpoint} (project ${spec.project})`;
    return `${spec.host}:${spec.port ?? defaultPort(spec.engine)}`;
}

async function outputsFor(spec: ConnectionSpec, previous?: Props): Promise<ConnectionOutputs> {
    try {
        const r = await testConnectivity(spec);
        return {
            connectionId: connectionId(spec),
            engine: spec.engine,
            // Tablestore's and MaxCompute's `endpoint` is also an argument: the output keeps it as given.
            endpoint: spec.engine === "tablestore" || spec.engine === "maxcompute" ? spec.endpoint : endpointOf(spec),
            connectivity: r.connectivity,
            flavour: r.facts.flavour,
            serverVersion: r.facts.serverVersion,
            facts: r.facts,
            note: r.note ?? "",
            reachable: r.connectivity === "verified",
            lastError: "",
            drift: factDrift(previous?.facts as ConnectionFacts | undefined, r.facts),
        };
    } catch (err) {
        throw scrub(err, spec);
    }
}

/** Errors leave the provider as plain Errors whose text carries no secret. */
function scrub(err: unknown, spec: ConnectionSpec): Error {
    if (err instanceof ConnectionError) return new Error(redact(err.message, secretsOf(spec)));
    const text = err instanceof Error ? err.message : String(err);
    return new Error(redact(`Test Connectivity failed for ${spec.engine} at ${endpointOf(spec)}: ${text}`, secretsOf(spec)));
}

export async function create(inputs: Props): Promise<{ id: string; outs: Props }> {
    const spec = parse(inputs);
    const outs = await outputsFor(spec);
    // Outputs carry the inputs too: refresh (read) gets nothing else to test with.
    // The SDK marks password/accessKeySecret as secret outputs.
    return { id: outs.connectionId, outs: { ...inputsOf(inputs), ...outs } };
}

/** Fields that make a connection another connection (and so another id). */
const identityFields = ["engine", "host", "port", "user", "database", "endpoint", "instanceName", "project", "accessKeyId"];

export async function diff(_id: string, olds: Props, news: Props): Promise<{ changes: boolean; replaces: string[]; deleteBeforeReplace: boolean }> {
    const changed = new Set<string>();
    for (const k of new Set([...Object.keys(olds), ...Object.keys(news)])) {
        if (k === "__provider" || isOutputKey(k, news)) continue;
        if (JSON.stringify(olds[k]) !== JSON.stringify(news[k])) changed.add(k);
    }
    return {
        changes: changed.size > 0,
        replaces: [...changed].filter((k) => identityFields.includes(k)),
        deleteBeforeReplace: false,
    };
}

const outputKeys = new Set(["connectionId", "endpoint", "connectivity", "flavour", "serverVersion", "facts", "note", "reachable", "lastError", "drift"]);
/** Engines whose arguments include `endpoint` (a URL), a name the outputs use too. */
function endpointIsInput(props: { engine?: unknown }): boolean {
    return props.engine === "tablestore" || props.engine === "maxcompute";
}

function isOutputKey(k: string, props: Props): boolean {
    return outputKeys.has(k) && !(k === "endpoint" && endpointIsInput(props));
}

function inputsOf(props: Props): Props {
    return Object.fromEntries(Object.entries(props).filter(([k]) => k !== "__provider" && !isOutputKey(k, props)));
}

export async function update(_id: string, _olds: Props, news: Props): Promise<{ outs: Props }> {
    const spec = parse(news);
    return { outs: { ...inputsOf(news), ...(await outputsFor(spec, _olds)) } };
}

/** Refresh: test again; an unreachable server is reported in the outputs, not as a failed refresh. */
export async function read(id: string, props: Props): Promise<{ id: string; props: Props }> {
    const spec = parse(props);
    try {
        const outs = await outputsFor(spec, props);
        return { id, props: { ...props, ...outs } };
    } catch (err) {
        return { id, props: { ...props, reachable: false, lastError: (err as Error).message } };
    }
}

/** A connection holds nothing between calls: Test Connectivity closes what it opens. */
export async function remove(_id: string, _props: Props): Promise<void> {
    return;
}
