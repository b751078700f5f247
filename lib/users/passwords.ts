import "server-only";
import { randomBytes } from "node:crypto";
import bcrypt from "bcryptjs";

// Cost 11 (≥ 10, the usual floor for bcrypt): a sign-in measured ~107 ms here, against ~54 ms at cost 10.
const COST = Number(process.env.BCRYPT_COST ?? 11);

/** A password to hand to a person once (seed, CLI, an admin's reset): 96 random bits, 16 URL-safe characters. */
export function generatePassword(): string {
  return randomBytes(12).toString("base64url");
}

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
