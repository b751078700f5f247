import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

// The Kubernetes manifests must scrape /api/metrics with the token: in
// production the endpoint refuses every other caller but loopback. A text-level
// check of the shapes these files use; where kubectl is installed the same
// manifests are also rendered with `kubectl kustomize`, which parses them.

const DIR = "deploy/k8s";
const read = (f: string) => readFileSync(join(DIR, f), "utf8");
const kubectl = spawnSync("kubectl", ["version", "--client"], { encoding: "utf8" }).status === 0;

describe("deploy/k8s metrics scraping", () => {
  const monitor = read("servicemonitor.yaml");

  it("security #13.7: ships a ServiceMonitor that sends the Secret's METRICS_TOKEN to /api/metrics on the Service's port", () => {
    expect(monitor).toMatch(/^apiVersion: monitoring\.coreos\.com\/v1$/m);
    expect(monitor).toMatch(/^kind: ServiceMonitor$/m);
    expect(monitor).toMatch(/^\s+path: \/api\/metrics$/m);
    expect(monitor).toMatch(/authorization:\s*\n\s+type: Bearer\s*\n\s+credentials: \{ name: promptgate, key: METRICS_TOKEN \}/);
    // The Secret it names holds that key, and the Deployment loads that Secret.
    expect(read("secret.example.yaml")).toMatch(/^kind: Secret$[\s\S]*^\s+name: promptgate$[\s\S]*^\s+METRICS_TOKEN: /m);
    expect(read("deployment.yaml")).toMatch(/secretRef: \{ name: promptgate \}/);
    // Its port and selector find the Service.
    const port = /^\s+- port: (\S+)$/m.exec(monitor)?.[1];
    expect(read("service.yaml")).toContain(`name: ${port},`);
    expect(monitor).toMatch(/selector:\s*\n\s+matchLabels: \{ app\.kubernetes\.io\/name: promptgate \}/);
    expect(read("service.yaml")).toMatch(/labels: \{ app\.kubernetes\.io\/name: promptgate \}/);
  });

  it("security #13.7: leaves no annotation-driven scrape, which could not send the token", () => {
    expect(read("deployment.yaml")).not.toMatch(/prometheus\.io\/scrape/);
  });

  it.skipIf(!kubectl)("renders with the ServiceMonitor through kubectl kustomize", () => {
    const dir = mkdtempSync(join(tmpdir(), "promptgate-k8s-"));
    try {
      for (const f of readdirSync(DIR)) copyFileSync(join(DIR, f), join(dir, f));
      writeFileSync(join(dir, "kustomization.yaml"), read("kustomization.yaml").replace("# - servicemonitor.yaml", "- servicemonitor.yaml"));
      const r = spawnSync("kubectl", ["kustomize", dir], { encoding: "utf8" });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^kind: ServiceMonitor$/m);
      expect(r.stdout).toMatch(/^kind: Deployment$/m);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
