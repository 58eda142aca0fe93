// Reads rendered manifests (kubectl kustomize deploy/kubernetes) on stdin and validates every object against the
// Kubernetes API schema of kubernetes-models, offline. Prints "<kind>/<name>" per valid object, then "env <NAME>" for
// every environment variable a container gets (its own, and the keys of the ConfigMaps and Secrets it takes whole);
// exits 1 on any error.
import { parseAllDocuments } from "yaml";

const input = await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
});

let failed = false;
const objects = [];
for (const document of parseAllDocuments(input)) {
  const object = document.toJS();
  if (!object) continue;
  const name = `${object.kind}/${object.metadata?.name}`;
  try {
    const module = await import(`kubernetes-models/${object.apiVersion}/${object.kind}`);
    new module[object.kind](object).validate();
    objects.push(object);
    console.log(name);
  } catch (error) {
    failed = true;
    console.error(`${name}: ${error.message}`);
  }
}
const data = new Map(objects.filter((o) => o.kind === "ConfigMap" || o.kind === "Secret")
  .map((o) => [`${o.kind}/${o.metadata.name}`, Object.keys({ ...o.data, ...o.stringData })]));
const names = new Set();
for (const object of objects) {
  for (const container of object.spec?.template?.spec?.containers ?? []) {
    for (const variable of container.env ?? []) names.add(variable.name);
    for (const source of container.envFrom ?? []) {
      const keys = source.configMapRef ? data.get(`ConfigMap/${source.configMapRef.name}`) : data.get(`Secret/${source.secretRef.name}`);
      if (!keys) {
        failed = true;
        console.error(`${object.kind}/${object.metadata.name}: envFrom names an object that is not rendered`);
      }
      for (const key of keys ?? []) names.add(key);
    }
  }
}
for (const name of [...names].sort()) console.log(`env ${name}`);
process.exit(failed ? 1 : 0);
