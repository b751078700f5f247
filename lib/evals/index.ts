import "server-only";
// Evaluations: datasets (versioned rows), evaluation runs worked in the background through the gateway,
// scorers (deterministic and LLM-as-judge), per-run aggregates and paired comparisons of two runs.
// See README.md for the invariants.
export {
  listDatasets, getDataset, getDatasetVersion, createDataset, updateDataset, deleteDataset, addDatasetRows, uploadDatasetRows, importRowsFromLogs, loggingKeys,
  type DatasetView, type DatasetVersionView, type LogImportView,
} from "./datasets";
export { listRuns, getRun, startRun, cancelRun, deleteRun, runRows, type RunView, type RowView } from "./runs";
export { runResults, compareEvalRuns } from "./results";
export { aggregateRun, compareRuns, type RunAggregates, type PairedComparison, type PairedScorer, type ScorerAggregate } from "./analysis";
export { startEvalRunner, stopEvalRunner, wakeEvalRunner, workDueRuns, INSTANCE_ID } from "./runner";
export { scoreDeterministic, parseJudgeAnswer, type Score } from "./scorers";
export { parseUpload, parseCsv, parseJsonl, csvRecords, type ParsedUpload, type RowError } from "./parse";
export * from "./schemas";
export { evaluationGate, installEvaluationGate, listGates, setGate, deleteGate, type GateView } from "./gate";
