import type { ConnectionSpec } from "../../sdk/schema/connection";
import { destinationConnectors, sourceConnectors } from "../connectors/registry";
import type { Destination } from "./destination";
import type { Source } from "./source";

/** The connector for a destination connection, from the registry. */
export async function openDestination(spec: ConnectionSpec): Promise<Destination> {
    const connector = destinationConnectors.find((c) => c.engines.includes(spec.engine));
    if (!connector) throw new Error(`destination engine "${spec.engine}" is not implemented yet`);
    return connector.open(spec);
}

/** The connector for a source connection, from the registry. */
export async function openSource(spec: ConnectionSpec): Promise<Source> {
    const connector = sourceConnectors.find((c) => c.engines.includes(spec.engine));
    if (!connector) throw new Error(`source engine "${spec.engine}" is not implemented yet`);
    return connector.open(spec);
}
