import "server-only";
export {
  listPrompts, listTags, getPrompt, findPrompt, getVersion, createPrompt, createPromptVersion, moveLabel, deleteLabel, updatePrompt,
  listGlobalVariables, setGlobalVariable, deleteGlobalVariable,
} from "./store";
export { assertMayChangeWhatLabelServes, registerLabelGate, type LabelGate, type LabelMove } from "./label-rules";
export { resolvePrompt, globalValues, invalidatePrompt, type ResolvedPrompt, type PromptSelection } from "./resolve";
export { renderPrompt, renderContent, resolveValues, checkTemplates, templateVariables, undeclaredVariables } from "./engine";
export { composeContent, composeResolved } from "./compose";
export { diffContents } from "./diff";
export { buildChatRequest } from "./completion";
export { previewDraft, diffVersions, diffDraft, playgroundRun, includeTargets } from "./console";
export { seedDemoPrompt, DEMO_PROMPT } from "./seed";
export { templateResponse } from "./template-api";
export * from "./schemas";
