// The admin CLI's rotate-encryption-key, for an instance whose ENCRYPTION_KEY
// was generated into .data/secrets.json: the file must hold the key the rows are
// now under, or the next start could not read a single secret.
import { chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";

export function updateInstanceEncryptionKey(newKey: string, file = ".data/secrets.json"): void {
  const stored = existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as Record<string, string>) : {};
  const tmp = `${file}.tmp`;
  // Write-then-rename: a crash mid-write must not leave a truncated secrets file.
  writeFileSync(tmp, JSON.stringify({ ...stored, ENCRYPTION_KEY: newKey }, null, 2) + "\n", { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
}
