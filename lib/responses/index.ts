import "server-only";
// Stored Responses API objects: save, load, delete (by the key that made them) and the retention sweep.
export { saveResponse, loadResponse, deleteResponse, readResponse, removeResponse, sweepStoredResponses, type StoredResponse } from "./store";
