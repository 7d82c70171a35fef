import type { TablestoreConnectionSpec } from "../../../sdk/schema/connection";
import { TablestoreClient } from "./client";

/** A client for a Tablestore connection; its timeout is the connection's connectTimeoutSeconds of silence. */
export function tablestoreClient(spec: TablestoreConnectionSpec, maxSockets?: number): TablestoreClient {
    return new TablestoreClient(
        { endpoint: spec.endpoint, instanceName: spec.instanceName, accessKeyId: spec.accessKeyId, accessKeySecret: spec.accessKeySecret },
        { timeoutMs: spec.connectTimeoutSeconds * 1000, ...(maxSockets ? { maxSockets } : {}) },
    );
}
