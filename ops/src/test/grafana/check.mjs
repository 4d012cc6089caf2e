// Checks Grafana dashboard JSON files against Grafana's own dashboard model (@grafana/schema, the
// types Grafana generates from its schema): each file becomes an object literal typed Dashboard,
// and the TypeScript compiler reports every field of the wrong type or unknown to Grafana.
//   node check.mjs DASHBOARD.json...     exit 0 when all conform
import { readFileSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node check.mjs DASHBOARD.json...");
  process.exit(2);
}
let ts = "import type { Dashboard } from '@grafana/schema/dist/types/raw/dashboard/x/types.gen';\n";
files.forEach((f, i) => {
  ts += `// ${f}\nexport const dashboard${i}: Dashboard = ${readFileSync(f, "utf8")};\n`;
});
writeFileSync("dashboards.ts", ts);
try {
  execFileSync("node", ["node_modules/typescript/bin/tsc", "--noEmit", "--strict", "--moduleResolution", "node",
    "--module", "commonjs", "--target", "es2020", "dashboards.ts"], { stdio: "inherit" });
  console.log(files.length + " dashboards conform to Grafana's dashboard model");
} catch (e) {
  process.exit(1);
}
