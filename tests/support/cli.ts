import { spawnSync } from "node:child_process";

/** Runs `npm run admin -- …` the way npm does (tsx, react-server condition) against the test database. */
export function adminCli(...args: string[]) {
  return adminCliWithInput("", ...args);
}

/** The same, with `input` on standard input (for `--password -`). */
export function adminCliWithInput(input: string, ...args: string[]) {
  return adminCliOn(process.env.DATABASE_URL, input, ...args);
}

/** The same against a named database (browser tests get theirs by inject, not the environment). */
export function adminCliOn(databaseUrl: string | undefined, input: string, ...args: string[]) {
  const r = spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/admin.ts", ...args], {
    env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: "silent" },
    encoding: "utf8",
    timeout: 60_000,
    input,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
