/** What the MaxCompute client reads and needs, in the connector's own shapes. */

export interface MaxComputeConnection {
    /**
     * The service endpoint, path included: "http://service.<region>.maxcompute.aliyun.com/api".
     * Resources are appended to it; the signature covers them without the endpoint's path.
     */
    endpoint: string;
    accessKeyId: string;
    accessKeySecret: string;
}

export interface MaxComputeProject {
    name: string;
    owner: string | undefined;
    /** "AVAILABLE", … as the service reports it. */
    state: string | undefined;
    comment: string | undefined;
}

export interface MaxComputeColumn {
    name: string;
    /** The type as the service writes it, e.g. "bigint", "decimal(20,0)", "varchar(64)". */
    type: string;
    comment: string | undefined;
    /** Undefined when the service did not say. */
    nullable: boolean | undefined;
}

export interface MaxComputeTable {
    name: string;
    tableId: string | undefined;
    /** Data columns, in table order. */
    columns: MaxComputeColumn[];
    /** Partition columns, in partition-level order; empty for an unpartitioned table. */
    partitionColumns: MaxComputeColumn[];
}
