import { destinationConnector as mysql } from "./mysql/destination/destination";
import { destinationConnector as postgres } from "./postgres/destination";
import { destinationConnector as tablestore } from "./tablestore/destination";
import { destinationConnector as maxcompute } from "./maxcompute/destination";
import type { DestinationConnector } from "../engine/destination";
import type { SourceConnector } from "../engine/source";
import { sourceConnector as mysqlSource } from "./mysql/source/source";

/**
 * Every destination connector, one per folder. Adding a destination is adding its folder's
 * factory here; the engine looks a connection's engine up and has no switch of its own.
 */
export const destinationConnectors: readonly DestinationConnector[] = [mysql, postgres, tablestore, maxcompute];

/** Every source connector: MySQL-family servers. */
export const sourceConnectors: readonly SourceConnector[] = [mysqlSource];
