// `npm run admin -- <command>`: administration straight against the database,
// for headless set-up and for recovering a locked-out instance. Every change is
// audited under the actor "system:cli".
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { prepareDatabase } from "./lib/database";

const system = { kind: "system", name: "cli" } as const;

// `--password -` reads the password from standard input (first line), so it
// stays out of the process list and the shell history.
async function passwordArg(value: string | undefined): Promise<string | undefined> {
  if (value !== "-") return value;
  let text = "";
  for await (const chunk of process.stdin) text += String(chunk);
  const line = text.split(/\r?\n/)[0] ?? "";
  if (!line) throw new Error("--password - read an empty line from standard input");
  return line;
}

const usage = `Usage: npm run admin -- <command> [options]

  users create --email <e> --role <admin|editor|viewer> [--name <n>] [--password <p> | --password -]
  users list
  users set-role --email <e> --role <r>
  users disable --email <e>  |  users enable --email <e>
  users set-password --email <e> [--password <p> | --password -]   (a generated one is printed once;
                     "-" reads it from standard input; their sessions end)
  workspaces create --name <n> --slug <s> [--models <glob,glob>]   (no --models: every model)
  workspaces list
  workspaces add-member <slug> --email <e> --role <admin|editor|viewer>   (or changes their role there)
  workspaces remove-member <slug> --email <e>
  keys create --name <n> [--scopes completions,admin,model:gpt-4o*] [--expires <YYYY-MM-DD | 30d>]
  keys list
  keys revoke <id or prefix>
  (keys and quotas commands act in --workspace <slug or id>, default: the Default workspace)
  accounts create --name <n> --provider <openai|azure|anthropic|simulator> [--base-url <u>]
                  [--api-key <k>] [--models a,b] [--weight <n>] [--priority <n>]
  accounts list
  accounts disable <name>  |  accounts enable <name>
  accounts delete <name>
  quotas list
  quotas create --name <n> --scope <key|user|model|key_model|workspace> [--key <id or prefix>] [--user <end user>]
                [--model <name or prefix*>] [--rpm <n>] [--tpm <n>] [--tpd <n>] [--tpmonth <n>]
                [--spend-day <usd>] [--spend-month <usd>] [--default-max-tokens <n>] [--require-max-tokens]
                [--time-zone <IANA zone, default UTC>] [--thresholds <50,80,100 | none>]
  quotas set <name or id> [any limit flag above; "none" removes that limit]
  quotas disable <name or id>  |  quotas enable <name or id>
  quotas delete <name or id>
  quotas usage [--key <id or prefix>]     current windows: used + reserved / limit
  rotate-encryption-key [--new-key <64 hex>]
                re-encrypts every stored secret under the new key (generated and printed
                once when omitted); see "Rotating ENCRYPTION_KEY" in README.md

  The provider API key may come from the environment instead of --api-key, so it
  stays out of your shell history:  PROVIDER_API_KEY=sk-... npm run admin -- accounts create ...
`;

function parseExpiry(s: string | undefined): Date | null {
  if (!s) return null;
  const rel = /^(\d+)d$/.exec(s);
  if (rel) return new Date(Date.now() + Number(rel[1]) * 86_400_000);
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) throw new Error(`--expires: cannot read '${s}' as a date or as <N>d`);
  return d;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      email: { type: "string" }, role: { type: "string" }, name: { type: "string" }, password: { type: "string" },
      scopes: { type: "string" }, expires: { type: "string" }, help: { type: "boolean", short: "h" },
      provider: { type: "string" }, "base-url": { type: "string" }, "api-key": { type: "string" }, models: { type: "string" },
      weight: { type: "string" }, priority: { type: "string" },
      scope: { type: "string" }, key: { type: "string" }, user: { type: "string" }, model: { type: "string" },
      rpm: { type: "string" }, tpm: { type: "string" }, tpd: { type: "string" }, tpmonth: { type: "string" },
      "spend-day": { type: "string" }, "spend-month": { type: "string" }, "default-max-tokens": { type: "string" },
      "require-max-tokens": { type: "boolean" }, "new-key": { type: "string" },
      "time-zone": { type: "string" }, thresholds: { type: "string" },
      workspace: { type: "string" }, slug: { type: "string" },
    },
  });
  const [area, cmd, arg] = positionals;
  if (values.help || !area) {
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
  // Captured before prepareDatabase fills the environment from .data/secrets.json:
  // only a key that came from that file is ours to update there.
  const keyFromEnv = process.env.ENCRYPTION_KEY !== undefined && process.env.ENCRYPTION_KEY !== "";
  const stop = await prepareDatabase({ quiet: true });
  try {
    const { db } = await import("@/lib/db");
    const users = await import("@/lib/users");
    const auth = await import("@/lib/auth/api-keys");
    const accounts = await import("@/lib/accounts");
    const { publishInvalidation } = await import("@/lib/db");
    const findAccount = async (name?: string) => {
      if (!name) throw new Error(`accounts ${cmd} needs an account name`);
      const a = await db.providerAccount.findUnique({ where: { name }, select: { id: true, name: true } });
      if (!a) throw new Error(`no account named ${name}`);
      return a;
    };
    // The domain publishes its change in the background; a CLI exits at once, so
    // wait for running instances to be told before closing the pool.
    const tellInstances = () => publishInvalidation("accounts");
    const int = (v: string | undefined) => (v === undefined ? undefined : Number(v));
    const findKey = async (idOrPrefix: string) => {
      const k = await db.apiKey.findFirst({ where: { workspaceId, ...(/^[0-9a-f-]{36}$/.test(idOrPrefix) ? { id: idOrPrefix } : { prefix: idOrPrefix.slice(0, 12) }) } });
      if (!k) throw new Error(`no key matches ${idOrPrefix}`);
      return k.id;
    };
    // The quota domain's store and views only: its index also loads the gateway side (usage writer and its routes).
    const quotaDomain = async () => ({ ...(await import("@/lib/quota/policies")), ...(await import("@/lib/quota/status")), ...(await import("@/lib/quota/schemas")) });
    const findPolicy = async (nameOrId?: string) => {
      if (!nameOrId) throw new Error(`quotas ${cmd} needs a policy name or id`);
      const p = await db.quotaPolicy.findFirst({ where: { workspaceId, ...(/^[0-9a-f-]{36}$/.test(nameOrId) ? { id: nameOrId } : { name: nameOrId }) } });
      if (!p) throw new Error(`no quota policy named ${nameOrId}`);
      return p;
    };
    const workspaces = await import("@/lib/workspaces/store");
    const findWorkspace = async (idOrSlug: string) => {
      const w = await workspaces.findWorkspace(idOrSlug);
      if (!w) throw new Error(`no workspace ${idOrSlug}`);
      return w;
    };
    // Keys and quotas act in one workspace: --workspace, else Default.
    const workspaceId = values.workspace ? (await findWorkspace(values.workspace)).id : "00000000-0000-0000-0000-000000000001";
    const inWorkspace = { ...system, workspaceId };
    const findUser = async (email?: string) => {
      if (!email) throw new Error("--email is required");
      const u = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
      if (!u) throw new Error(`no user with email ${email}`);
      return u;
    };

    switch (`${area} ${cmd ?? ""}`.trim()) {
      case "workspaces create": {
        const models = values.models ? values.models.split(",").map((m) => m.trim()).filter(Boolean) : [];
        const w = await workspaces.createWorkspace(system, { name: values.name, slug: values.slug, allowedModels: models });
        process.stdout.write(`Created workspace '${w.name}' (${w.slug}, ${w.id})${models.length ? ` models=${models.join(",")}` : ""}\n`);
        return 0;
      }
      case "workspaces list": {
        for (const w of await workspaces.listWorkspaces()) {
          process.stdout.write(`${w.id}  ${w.slug.padEnd(20)}  ${String(w.members).padStart(3)} members  ${w.allowedModels.length ? w.allowedModels.join(",") : "all models"}  ${w.name}\n`);
        }
        return 0;
      }
      case "workspaces add-member":
      case "workspaces remove-member": {
        if (!arg) throw new Error(`workspaces ${cmd} needs a workspace slug or id`);
        const w = await findWorkspace(arg);
        if (cmd === "add-member") {
          const m = await workspaces.setMember(system, { workspaceId: w.id, email: values.email, role: values.role });
          process.stdout.write(`${m.email} is ${m.role} in ${w.slug}\n`);
        } else {
          await workspaces.removeMember(system, { workspaceId: w.id, email: values.email });
          process.stdout.write(`${values.email} removed from ${w.slug}\n`);
        }
        return 0;
      }
      case "users create": {
        const chosen = await passwordArg(values.password);
        const password = chosen ?? users.generatePassword();
        const u = await users.createUser(system, { email: values.email, role: values.role, name: values.name ?? values.email?.split("@")[0], password });
        process.stdout.write(`Created ${u.role} ${u.email} (${u.id})\n`);
        if (!chosen) process.stdout.write(`Password (shown once): ${password}\n`);
        return 0;
      }
      case "users list": {
        for (const u of await users.listUsers()) process.stdout.write(`${u.id}  ${u.role.padEnd(6)}  ${u.disabled ? "disabled" : "active  "}  ${u.email}\n`);
        return 0;
      }
      case "users set-role": {
        const u = await findUser(values.email);
        await users.setUserRole(system, { id: u.id, role: values.role });
        process.stdout.write(`${u.email} is now ${values.role}\n`);
        return 0;
      }
      case "users set-password": {
        const u = await findUser(values.email);
        const r = await users.resetUserPassword(system, { id: u.id, password: await passwordArg(values.password) });
        process.stdout.write(`Password of ${u.email} set; their sessions have ended\n`);
        if (r.password) process.stdout.write(`Password (shown once): ${r.password}\n`);
        return 0;
      }
      case "users disable":
      case "users enable": {
        const u = await findUser(values.email);
        await users.setUserDisabled(system, { id: u.id, disabled: cmd === "disable" });
        process.stdout.write(`${u.email} ${cmd}d\n`);
        return 0;
      }
      case "keys create": {
        const scopes = values.scopes ? values.scopes.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
        const { key, row } = await auth.createApiKey(inWorkspace, { name: values.name, scopes, expiresAt: parseExpiry(values.expires) });
        process.stdout.write(`Created key '${row.name}' (${row.id}) scopes=${row.scopes.join(",")}\nKey (shown once): ${key}\n`);
        return 0;
      }
      case "keys list": {
        for (const k of await auth.listApiKeys(workspaceId)) {
          process.stdout.write(`${k.id}  ${k.prefix}…  ${auth.keyStatus(k).padEnd(7)}  ${k.scopes.join(",").padEnd(20)}  ${k.name}\n`);
        }
        return 0;
      }
      case "keys revoke": {
        if (!arg) throw new Error("keys revoke needs a key id or prefix");
        const k = await db.apiKey.findFirst({ where: { workspaceId, ...(/^[0-9a-f-]{36}$/.test(arg) ? { id: arg } : { prefix: arg.slice(0, 12) }) } });
        if (!k) throw new Error(`no key matches ${arg}`);
        await auth.revokeApiKey(inWorkspace, k.id);
        process.stdout.write(`Revoked ${k.prefix}… (${k.name})\n`);
        return 0;
      }
      case "accounts create": {
        const a = await accounts.createAccount(system, {
          name: values.name, provider: values.provider, baseUrl: values["base-url"],
          apiKey: values["api-key"] ?? (process.env.PROVIDER_API_KEY || undefined),
          models: values.models ? values.models.split(/[\s,]+/).filter(Boolean) : undefined,
          weight: int(values.weight), priority: int(values.priority),
        });
        await tellInstances();
        process.stdout.write(`Created ${a.provider} account '${a.name}' (${a.id})${a.secretLast4 ? ` key ••••${a.secretLast4}` : ""}\n`);
        return 0;
      }
      case "accounts list": {
        for (const a of await accounts.listAccounts()) {
          const models = a.models.length ? a.models.join(",") : "*";
          const key = a.secretLast4 ? `••••${a.secretLast4}` : "no-key  ";
          process.stdout.write(
            `${a.id}  ${a.enabled ? "enabled " : "disabled"}  ${a.provider.padEnd(9)}  priority=${a.priority} weight=${a.weight}  ${key}  ${a.name}  models=${models}\n`,
          );
        }
        return 0;
      }
      case "accounts disable":
      case "accounts enable": {
        const a = await findAccount(arg);
        await accounts.updateAccount(system, a.id, { enabled: cmd === "enable" });
        await tellInstances();
        process.stdout.write(`${a.name} ${cmd}d\n`);
        return 0;
      }
      case "accounts delete": {
        const a = await findAccount(arg);
        await accounts.deleteAccount(system, a.id);
        await tellInstances();
        process.stdout.write(`Deleted account ${a.name}\n`);
        return 0;
      }
      case "quotas list": {
        const quota = await quotaDomain();
        for (const p of await quota.listPolicies(workspaceId)) {
          const limits = quota.limitFields.flatMap((l) => (p[l.field] == null ? [] : [`${l.name}=${p[l.field]}`])).join(" ");
          const who = [p.apiKeyId ? `key=${p.apiKeyId}` : p.scope === "model" ? "" : "key=each", p.endUser ? `user=${p.endUser}` : "", p.model ? `model=${p.model}` : ""].filter(Boolean).join(" ");
          process.stdout.write(`${p.id}  ${p.enabled ? "enabled " : "disabled"}  ${p.scope.padEnd(9)}  ${p.name}  ${who}  ${limits}\n`);
        }
        return 0;
      }
      case "quotas create":
      case "quotas set": {
        const quota = await quotaDomain();
        const key = values.key ? await findKey(values.key) : undefined;
        const input: Record<string, unknown> = {
          ...(values.name !== undefined && cmd === "create" ? { name: values.name } : {}),
          ...(values.scope !== undefined ? { scope: values.scope } : {}),
          ...(key !== undefined ? { apiKeyId: key } : {}),
          ...(values.user !== undefined ? { endUser: values.user === "none" ? null : values.user } : {}),
          ...(values.model !== undefined ? { model: values.model === "none" ? null : values.model } : {}),
          ...(values["require-max-tokens"] ? { requireMaxTokens: true } : {}),
          ...(values["time-zone"] !== undefined ? { timeZone: values["time-zone"] } : {}),
          ...(values.thresholds !== undefined ? { thresholds: values.thresholds === "none" ? [] : values.thresholds.split(",").map(Number) } : {}),
        };
        for (const [flag, field] of quotaFlags) {
          const v = values[flag];
          if (v !== undefined) input[field] = v === "none" ? null : Number(v);
        }
        if (cmd === "create") {
          const p = await quota.createPolicy(inWorkspace, input);
          process.stdout.write(`Created quota policy '${p.name}' (${p.id})\n`);
        } else {
          const p = await quota.updatePolicy(inWorkspace, (await findPolicy(arg)).id, input);
          process.stdout.write(`Updated quota policy '${p.name}'\n`);
        }
        return 0;
      }
      case "quotas disable":
      case "quotas enable": {
        const quota = await quotaDomain();
        const p = await findPolicy(arg);
        await quota.updatePolicy(inWorkspace, p.id, { enabled: cmd === "enable" });
        process.stdout.write(`${p.name} ${cmd}d\n`);
        return 0;
      }
      case "quotas delete": {
        const quota = await quotaDomain();
        const p = await findPolicy(arg);
        await quota.deletePolicy(inWorkspace, p.id);
        process.stdout.write(`Deleted quota policy ${p.name}\n`);
        return 0;
      }
      case "quotas usage": {
        const quota = await quotaDomain();
        const only = values.key ? await findKey(values.key) : null;
        const { keys, models } = await quota.quotaOverview(workspaceId);
        for (const k of keys) {
          if (only && k.key.id !== only) continue;
          process.stdout.write(`${k.key.name} (${k.key.prefix}…)\n`);
          for (const p of k.policies) for (const l of p.limits) process.stdout.write(`  ${p.name.padEnd(24)} ${l.limit.padEnd(20)} ${l.used} + ${l.reserved} / ${l.max}  resets ${l.resetsAt}\n`);
        }
        if (!only) for (const p of models) for (const l of p.limits) process.stdout.write(`model-wide ${p.name} ${l.limit} ${l.used} + ${l.reserved} / ${l.max}\n`);
        return 0;
      }
      case "rotate-encryption-key": {
        const { rotateEncryptionKey } = await import("@/lib/accounts/key-rotation");
        const { config } = await import("@/lib/config");
        const c = config();
        const generated = !values["new-key"];
        const newKey = values["new-key"] ?? randomBytes(32).toString("hex");
        if (!/^[0-9a-fA-F]{64}$/.test(newKey)) throw new Error("--new-key: must be 64 hex characters (32 bytes)");
        const oldKeys = [c.ENCRYPTION_KEY, ...(c.ENCRYPTION_KEY_PREVIOUS ? [c.ENCRYPTION_KEY_PREVIOUS] : [])];
        const done = await rotateEncryptionKey(system, newKey, oldKeys);
        for (const t of done) process.stdout.write(`Re-encrypted ${t.rows} row(s) in ${t.table}\n`);
        if (!keyFromEnv) {
          const { updateInstanceEncryptionKey } = await import("./lib/instance-key");
          updateInstanceEncryptionKey(newKey);
          process.stdout.write(`Updated .data/secrets.json with the new key. Restart Promptgate now: until it restarts it cannot read the re-encrypted secrets.\n`);
        }
        if (generated) process.stdout.write(`New ENCRYPTION_KEY (shown once): ${newKey}\n`);
        if (keyFromEnv) {
          process.stdout.write(
            [
              "",
              "Operator steps (zero-downtime roll):",
              "  1. Before this command: every instance runs with ENCRYPTION_KEY=<new key> and",
              "     ENCRYPTION_KEY_PREVIOUS=<old key>, so it reads secrets under either key.",
              "  2. Run this command with --new-key <new key> (done: all rows are now under the new key).",
              "  3. Later, remove ENCRYPTION_KEY_PREVIOUS everywhere and restart; the old key is no longer needed.",
              "",
            ].join("\n"),
          );
        }
        return 0;
      }
      default:
        process.stderr.write(`Unknown command: ${positionals.join(" ")}\n\n${usage}`);
        return 2;
    }
  } finally {
    const { closeDb } = await import("@/lib/db");
    await closeDb();
    await stop();
  }
}

// Zod names the input field; the user typed the flag.
const quotaFlags = [
  ["rpm", "requestsPerMinute"], ["tpm", "tokensPerMinute"], ["tpd", "tokensPerDay"], ["tpmonth", "tokensPerMonth"],
  ["spend-day", "spendPerDayUsd"], ["spend-month", "spendPerMonthUsd"], ["default-max-tokens", "defaultMaxTokens"],
] as const;

const flags: Record<string, string> = {
  baseUrl: "base-url", apiKey: "api-key", expiresAt: "expires",
  ...Object.fromEntries(quotaFlags.map(([flag, field]) => [field, flag])), apiKeyId: "key", endUser: "user", requireMaxTokens: "require-max-tokens", timeZone: "time-zone",
};
const flagFor = (field: PropertyKey) => flags[String(field)] ?? String(field);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as { name?: string; message?: string; issues?: { path: PropertyKey[]; message: string }[] };
    const msg = err.name === "ZodError" && err.issues
      ? err.issues.map((i) => (i.path.length ? `--${[flagFor(i.path[0]!), ...i.path.slice(1)].join(".")}: ${i.message}` : i.message)).join("\n")
      : (err.message ?? String(e));
    process.stderr.write(`error: ${msg}\n`);
    process.exit(1);
  },
);
