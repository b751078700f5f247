import "server-only";
import { randomBytes } from "node:crypto";
import { Worker } from "node:worker_threads";
import bcrypt from "bcrypt";
import { config } from "@/lib/config";
import { AppError } from "@/lib/core";
import { logger } from "@/lib/observability";

// Cost 11 by default (BCRYPT_COST, never below 10, the usual floor for bcrypt): a sign-in measured ~107 ms here, against ~54 ms at cost 10.

// Every bcrypt run in the process goes through one small gate, so password
// hashing cannot starve the gateway:
// - it runs on dedicated worker threads (PASSWORD_HASH_CONCURRENCY of them,
//   native bcrypt), never on the event loop that serves the gateway, nor on
//   libuv's pool that fs and dns share;
// - those threads run at a lower scheduling priority (nice HASH_THREAD_NICE, on
//   Linux), so when the CPU is short the event loop serving the gateway comes
//   first and hashing gets what is left; on an idle machine it runs at full speed;
// - at most PASSWORD_HASH_QUEUE callers wait; past that a caller is refused at
//   once with PasswordHasherBusy (429): a flood of sign-ins with made-up emails
//   gets refusals, not an ever longer queue.
// The state is per process (on globalThis, so Next's separate bundles of this
// module share one gate). The worker's source is inline (eval) so no bundler has
// to find a worker file; it loads bcrypt from the app's node_modules.

const HASH_THREAD_NICE = 10;

/** Every password check and hash is refused with this while the hasher is full. */
export class PasswordHasherBusy extends AppError {
  constructor() {
    super("rate_limit_exceeded", "Too many password checks at once; try again in a few seconds", { headers: { "retry-after": "2" } });
  }
}

const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
try {
  const tid = Number(require("node:fs").readlinkSync("/proc/thread-self").split("/").pop());
  require("node:os").setPriority(tid, workerData.nice);
} catch {}
const bcrypt = require("bcrypt");
parentPort.on("message", (m) => {
  try {
    parentPort.postMessage({ value: m.op === "hash" ? bcrypt.hashSync(m.password, m.arg) : bcrypt.compareSync(m.password, m.arg) });
  } catch (err) {
    parentPort.postMessage({ error: String((err && err.message) || err) });
  }
});
`;

type Job = { op: "hash"; password: string; arg: number } | { op: "compare"; password: string; arg: string };
type Reply = { value?: string | boolean; error?: string };
type Thread = { worker: Worker; dead: boolean; pending?: { resolve: (r: Reply) => void; reject: (e: Error) => void } };
type Gate = { running: number; waiting: (() => void)[]; idle: Thread[]; broken: boolean };
const g = globalThis as typeof globalThis & { __pgPasswordGate?: Gate };
const gate: Gate = (g.__pgPasswordGate ??= { running: 0, waiting: [], idle: [], broken: false });

async function bounded<T>(work: () => Promise<T>): Promise<T> {
  const { PASSWORD_HASH_CONCURRENCY: concurrency, PASSWORD_HASH_QUEUE: queue } = config();
  if (gate.running < concurrency) {
    gate.running++;
  } else {
    if (gate.waiting.length >= queue) throw new PasswordHasherBusy();
    // A finishing run hands its slot straight to the next waiter, so `running` never dips in between.
    await new Promise<void>((resolve) => gate.waiting.push(resolve));
  }
  try {
    return await work();
  } finally {
    const next = gate.waiting.shift();
    if (next) next();
    else gate.running--;
  }
}

/** Whether a password check asked for now would be refused as busy: lets a caller refuse before doing any other work. */
export function passwordHasherFull(): boolean {
  const { PASSWORD_HASH_CONCURRENCY: concurrency, PASSWORD_HASH_QUEUE: queue } = config();
  return gate.running >= concurrency && gate.waiting.length >= queue;
}

function startThread(): Thread {
  const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { nice: HASH_THREAD_NICE }, name: "password-hasher" });
  const thread: Thread = { worker, dead: false };
  worker.on("message", (r: Reply) => {
    const p = thread.pending;
    thread.pending = undefined;
    p?.resolve(r);
  });
  const fail = (err: Error) => {
    thread.dead = true;
    gate.idle = gate.idle.filter((t) => t !== thread);
    const p = thread.pending;
    thread.pending = undefined;
    p?.reject(err);
  };
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`the password hasher thread exited (${code})`)));
  return thread;
}

/** Runs one job on a hasher thread (at most one job per thread; the gate bounds how many threads are busy). */
async function onThread(job: Job): Promise<string | boolean> {
  if (gate.broken) return job.op === "hash" ? bcrypt.hash(job.password, job.arg) : bcrypt.compare(job.password, job.arg);
  const thread = gate.idle.pop() ?? startThread();
  let reply: Reply;
  try {
    thread.worker.ref(); // an idle thread never keeps the process alive; a busy one does (a CLI awaiting a hash)
    reply = await new Promise<Reply>((resolve, reject) => {
      thread.pending = { resolve, reject };
      thread.worker.postMessage(job);
    });
  } catch (err) {
    // The thread could not load bcrypt or died: hash on libuv's pool from now on, without the lower priority.
    logger.error({ err }, "the password hasher thread failed; hashing on the libuv thread pool instead");
    gate.broken = true;
    return onThread(job);
  } finally {
    thread.worker.unref();
  }
  if (!thread.dead) gate.idle.push(thread);
  if (reply.error !== undefined) throw new Error(reply.error);
  return reply.value!;
}

const run = (job: Job) => bounded(() => onThread(job));

/** A password to hand to a person once (seed, CLI, an admin's reset): 96 random bits, 16 URL-safe characters. */
export function generatePassword(): string {
  return randomBytes(12).toString("base64url");
}

/** Throws PasswordHasherBusy when the hasher is full. */
export async function hashPassword(password: string): Promise<string> {
  return (await run({ op: "hash", password, arg: config().BCRYPT_COST })) as string;
}

/** Throws PasswordHasherBusy when the hasher is full (the password was not checked). */
export async function verifyPassword(password: string, hash: string): Promise<boolean> {
  return (await run({ op: "compare", password, arg: hash })) === true;
}

// Compared against when the email is unknown, so response time does not reveal
// which emails exist. It must have the same cost as real hashes to take as long.
// Made once per process on libuv's pool, outside the gate (it is not a caller's
// work, and a full gate must not leave it unmade).
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= bcrypt.hash("promptgate-timing-equaliser", config().BCRYPT_COST).catch((err: unknown) => {
    dummy = undefined;
    throw err;
  });
  return dummy;
}
