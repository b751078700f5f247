import { spawnSync } from "node:child_process";

/** Runs `npm run admin -- …` the way npm does (tsx, react-server condition) against the test database. */
export function adminCli(...args: string[]) {
  const r = spawnSync(process.execPath, ["--conditions=react-server", "--import", "tsx", "scripts/admin.ts", ...args], {
    env: { ...process.env, LOG_LEVEL: "silent" },
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}
