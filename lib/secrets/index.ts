import "server-only";
// Secrets at rest: AES-256-GCM under ENCRYPTION_KEY (ENCRYPTION_KEY_PREVIOUS
// still decrypts during a key rotation). Provider keys, account header values
// and request-signing secrets use it. Below every domain that stores a secret.
export * from "./secrets";
