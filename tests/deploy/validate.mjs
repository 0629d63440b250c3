// validate.mjs - check Kubernetes objects against the upstream OpenAPI schemas, through the
// kubernetes-models packages (and their Prometheus Operator and Flux models).
//
//   node validate.mjs FILE.yaml...     every object of every file; "-" reads standard input
//
// Prints "ok KIND NAME" per object; an object whose apiVersion/kind has no model, or that
// does not validate, is an error naming it and what is wrong (exit 1).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const npm = path.join(here, ".npm", "node_modules");
const require = createRequire(path.join(npm, "noop.js"));
const yaml = require("js-yaml");

// apiVersion's group -> the package that models it
function packageOf(group) {
  if (group === "monitoring.coreos.com") return "@kubernetes-models/prometheus-operator";
  if (group.endsWith(".toolkit.fluxcd.io")) return "@kubernetes-models/flux-cd";
  return "kubernetes-models";
}

async function modelOf(apiVersion, kind) {
  const parts = apiVersion.split("/");
  const group = parts.length === 2 ? parts[0] : "";
  const version = parts[parts.length - 1];
  const pkg = packageOf(group);
  const sub = group ? `${group}/${version}` : version;
  const file = path.join(npm, pkg, sub, `${kind}.js`);
  const mod = await import(file).catch(() => null);
  return mod ? mod[kind] : null;
}

let failures = 0;
for (const arg of process.argv.slice(2)) {
  const text = readFileSync(arg === "-" ? 0 : arg, "utf8");
  for (const obj of yaml.loadAll(text)) {
    if (obj === null || obj === undefined) continue;
    const what = `${arg}: ${obj.kind} ${obj.metadata && obj.metadata.name}`;
    const Model = await modelOf(String(obj.apiVersion), String(obj.kind));
    if (!Model) {
      console.log(`error ${what}: no model for ${obj.apiVersion} ${obj.kind}`);
      failures++;
      continue;
    }
    try {
      new Model(obj).validate();
      console.log(`ok ${obj.kind} ${obj.metadata.name}`);
    } catch (e) {
      console.log(`error ${what}: ${e.message}`);
      failures++;
    }
  }
}
process.exit(failures ? 1 : 0);
