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

// Compared against when the email is unknown, so response time does not reveal which emails exist.
export const DUMMY_HASH = "$2b$10$CwTycUXWue0Thq9StjUM0uJ8.Jl8zP0uPFfBT9yA5Ew0TnC4Zr6m2";
