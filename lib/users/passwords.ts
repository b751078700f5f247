import "server-only";
import bcrypt from "bcryptjs";

// Cost 11: ~150 ms per hash with bcryptjs on one core; ≥10 as OWASP's floor for bcrypt.
const COST = Number(process.env.BCRYPT_COST ?? 11);

export function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(password, Math.max(10, COST));
}

export function verifyPassword(password: string, hash: string): Promise<boolean> {
  return bcrypt.compare(password, hash);
}

// Compared against when the email is unknown, so response time does not reveal
// which emails exist. It must have the same cost as real hashes to take as long.
let dummy: string | undefined;
export function dummyHash(): string {
  dummy ??= bcrypt.hashSync("promptgate-timing-equaliser", Math.max(10, COST));
  return dummy;
}
