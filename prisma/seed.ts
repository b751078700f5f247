// First-start seed (headless initialisation): an admin, an API key, and later
// the simulator account and demo data. It runs once per database: a `seeded`
// setting marks it done, and an advisory lock keeps two instances from racing.
// Credentials that were generated are printed once here and never logged again.
import { parseSettings } from "@/lib/config";
import { db, pool } from "@/lib/db";
import { generatePassword, insertUser } from "@/lib/users";
import { insertApiKey } from "@/lib/auth/api-keys";
import { recordAudit } from "@/lib/audit";
import { SIMULATOR_LABEL } from "@/lib/providers/schemas";
import { DEMO_PROMPT, seedDemoPrompt } from "@/lib/prompts/seed";
import { seedDemoExperiment } from "@/lib/experiments/seed";

const SEED_LOCK = 727_073_01;
const system = { kind: "system", name: "seed" } as const;

export type SeedResult = { seeded: boolean; adminEmail?: string; adminPassword?: string; apiKey?: string; generated: string[] };

export async function seed(env: Record<string, string | undefined> = process.env): Promise<SeedResult> {
  const settings = parseSettings(env, ["ADMIN_EMAIL", "ADMIN_PASSWORD", "INIT_API_KEY"]);
  const client = await pool().connect();
  try {
    await client.query("SELECT pg_advisory_lock($1)", [SEED_LOCK]);
    const done = await db.setting.findUnique({ where: { key: "seeded" } });
    if (done) return { seeded: false, generated: [] };

    const generated: string[] = [];
    const adminEmail = settings.ADMIN_EMAIL.toLowerCase();
    let adminPassword = settings.ADMIN_PASSWORD;
    if (!adminPassword) {
      adminPassword = generatePassword();
      generated.push("adminPassword");
    }
    const existing = await db.user.findUnique({ where: { email: adminEmail } });
    const admin = existing ?? (await insertUser({ email: adminEmail, name: "Admin", role: "admin", password: adminPassword }));
    if (!existing) await recordAudit(system, { action: "user.create", targetType: "user", targetId: admin.id, after: { email: adminEmail, role: "admin" } });

    if (!settings.INIT_API_KEY) generated.push("apiKey");
    const { key: apiKey, row } = await insertApiKey({
      name: "Default key",
      scopes: ["completions"],
      createdById: admin.id,
      value: settings.INIT_API_KEY,
    });
    await recordAudit(system, { action: "apikey.create", targetType: "apiKey", targetId: row.id, after: { name: row.name, prefix: row.prefix } });

    // The built-in simulator, so the gateway works end to end without any provider key.
    const sim = await db.providerAccount.upsert({
      where: { name: SIMULATOR_LABEL },
      update: {},
      create: { name: SIMULATOR_LABEL, provider: "simulator", models: ["sim-small", "sim-large"], settings: { ttftMs: 150, tokensPerSecond: 80 } },
    });
    await recordAudit(system, { action: "account.create", targetType: "account", targetId: sim.id, after: { name: sim.name, provider: sim.provider } });

    // A demo prompt template (two versions, production on v2) served by the simulator.
    await seedDemoPrompt(system);

    // Demo data: a paused A/B experiment on the demo prompt with simulated traffic and feedback (marked demo).
    await seedDemoExperiment(system, DEMO_PROMPT);

    await db.setting.create({ data: { key: "seeded", value: { at: new Date().toISOString() } } });
    return { seeded: true, adminEmail, adminPassword: existing ? undefined : adminPassword, apiKey, generated };
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [SEED_LOCK]).catch(() => {});
    client.release();
  }
}

/** Seeds on the first start and prints the credentials once, boxed, to the terminal. */
export async function seedOnFirstStart(): Promise<SeedResult> {
  const r = await seed();
  if (!r.seeded) return r;
  const lines = [
    "Promptgate is initialised. Save these now: they are shown only once.",
    "",
    `  Console admin:  ${r.adminEmail}`,
    r.adminPassword ? `  Password:       ${r.generated.includes("adminPassword") ? r.adminPassword : "(from ADMIN_PASSWORD)"}` : "  Password:       (existing user, unchanged)",
    `  API key:        ${r.generated.includes("apiKey") ? r.apiKey : "(from INIT_API_KEY)"}`,
  ];
  const width = Math.max(...lines.map((l) => l.length)) + 2;
  const bar = "─".repeat(width);
  process.stdout.write(`\n┌${bar}┐\n${lines.map((l) => `│ ${l.padEnd(width - 1)}│`).join("\n")}\n└${bar}┘\n\n`);
  return r;
}
