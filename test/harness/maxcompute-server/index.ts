export { type MaxComputeServer, type MaxComputeServerOptions, type MaxComputeTable, startMaxComputeServer } from "./server";
export { type CellValue, decodeBlock, encodeBlock, RecordFormatError } from "./records";
