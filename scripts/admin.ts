// `npm run admin -- <command>`: administration straight against the database,
// for headless set-up and for recovering a locked-out instance. Every change is
// audited under the actor "system:cli".
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { prepareDatabase } from "./lib/database";

const system = { kind: "system", name: "cli" } as const;

const usage = `Usage: npm run admin -- <command> [options]

  users create --email <e> --role <admin|editor|viewer> [--name <n>] [--password <p>]
  users list
  users set-role --email <e> --role <r>
  users disable --email <e>  |  users enable --email <e>
  keys create --name <n> [--scopes completions,admin,model:gpt-4o*] [--expires <YYYY-MM-DD | 30d>]
  keys list
  keys revoke <id or prefix>
  accounts create --name <n> --provider <openai|azure|anthropic|simulator> [--base-url <u>]
                  [--api-key <k>] [--models a,b] [--weight <n>] [--priority <n>]
  accounts list
  accounts disable <name>  |  accounts enable <name>
  accounts delete <name>

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
    },
  });
  const [area, cmd, arg] = positionals;
  if (values.help || !area) {
    process.stdout.write(usage);
    return values.help ? 0 : 2;
  }
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
    const findUser = async (email?: string) => {
      if (!email) throw new Error("--email is required");
      const u = await db.user.findUnique({ where: { email: email.trim().toLowerCase() } });
      if (!u) throw new Error(`no user with email ${email}`);
      return u;
    };

    switch (`${area} ${cmd ?? ""}`.trim()) {
      case "users create": {
        const password = values.password ?? randomBytes(12).toString("base64url");
        const u = await users.createUser(system, { email: values.email, role: values.role, name: values.name ?? values.email?.split("@")[0], password });
        process.stdout.write(`Created ${u.role} ${u.email} (${u.id})\n`);
        if (!values.password) process.stdout.write(`Password (shown once): ${password}\n`);
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
      case "users disable":
      case "users enable": {
        const u = await findUser(values.email);
        await users.setUserDisabled(system, { id: u.id, disabled: cmd === "disable" });
        process.stdout.write(`${u.email} ${cmd}d\n`);
        return 0;
      }
      case "keys create": {
        const scopes = values.scopes ? values.scopes.split(",").map((s) => s.trim()).filter(Boolean) : undefined;
        const { key, row } = await auth.createApiKey(system, { name: values.name, scopes, expiresAt: parseExpiry(values.expires) });
        process.stdout.write(`Created key '${row.name}' (${row.id}) scopes=${row.scopes.join(",")}\nKey (shown once): ${key}\n`);
        return 0;
      }
      case "keys list": {
        for (const k of await auth.listApiKeys()) {
          process.stdout.write(`${k.id}  ${k.prefix}…  ${auth.keyStatus(k).padEnd(7)}  ${k.scopes.join(",").padEnd(20)}  ${k.name}\n`);
        }
        return 0;
      }
      case "keys revoke": {
        if (!arg) throw new Error("keys revoke needs a key id or prefix");
        const k = await db.apiKey.findFirst({ where: /^[0-9a-f-]{36}$/.test(arg) ? { id: arg } : { prefix: arg.slice(0, 12) } });
        if (!k) throw new Error(`no key matches ${arg}`);
        await auth.revokeApiKey(system, k.id);
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
const flags: Record<string, string> = { baseUrl: "base-url", apiKey: "api-key", expiresAt: "expires" };
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
