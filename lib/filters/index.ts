import "server-only";
export { filterConfig, piiDetectors, isNoopFilter, emptyFilterConfig, type FilterConfig, type FilterConfigInput, type PiiDetector } from "./schemas";
export { compileFilter, compileMerged, mergeConfigs, type CompiledFilter } from "./compile";
export { StreamMasker, maskAll, type MaskResult } from "./stream-masker";
export { SegmentSplitter, type Segment } from "./segments";
export { filterRequest, filterCompletion, filterChunks, ChunkFilter, segmentOf } from "./chat";
export { resolveFilter, keyPolicy, getKeyPolicy, setKeyFilters, setKeyLogging, type KeyPolicy } from "./key-policy";
export { requestLogEntry, listRequestLogs, writeRequestLogs, type RequestLogEntry } from "./request-log";
