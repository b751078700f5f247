import "server-only";
// Completions from stored prompts: the use cases above prompts, experiments and
// the gateway (none of which calls another to complete a template).
export { templateCall, templateCompletion, type TemplateCall } from "./template";
export { playgroundCompletion } from "./playground";
export { responsesCompletion } from "./responses";
