import "server-only";

// A/B experiments over prompt variants: sticky assignment on /api/completion,
// feedback, per-phase results with sound statistics, and the lifecycle that
// promotes a winner. See README.md for the invariants.
// recordExposures is a settlement step of the usage writer, listed in lib/gateway/settle.ts.

export { selectVariant, subjectOf, type VariantSelection } from "./selection";
export { activeExperiment, invalidateExperiments, type ActiveExperiment, type ActiveVariant } from "./registry";
export { bucketOf, pickByWeight, assign } from "./assignment";
export { recordFeedback, feedbackFor, type FeedbackView } from "./feedback";
export { createExperiment, stepExperiment, changeWeights, completeExperiment, deleteExperiment, getExperiment, listExperiments, type LifecycleStep } from "./store";
export { experimentResults } from "./results";
export { recordExposures } from "./exposures";
export { seedDemoExperiment, DEMO_EXPERIMENT } from "./seed";
export * from "./schemas";
