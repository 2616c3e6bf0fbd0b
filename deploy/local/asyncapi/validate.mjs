// Parse an AsyncAPI document with the official parser; print every diagnostic and exit 1 on
// any error or warning, so the published document stays loadable in the AsyncAPI ecosystem.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const path = process.argv[2];
const document = await readFile(path, "utf8");
const { document: parsed, diagnostics } = await new Parser().parse(document);
const severities = ["error", "warning", "information", "hint"];
const serious = diagnostics.filter((d) => d.severity <= 1);
for (const d of diagnostics) {
  console.log(`${severities[d.severity]} ${d.code} at ${d.path.join(".")}: ${d.message}`);
}
if (!parsed || serious.length > 0) {
  console.log(`${path}: ${serious.length} errors or warnings`);
  process.exit(1);
}
console.log(`${path}: AsyncAPI ${parsed.version()} with ${parsed.messages().length} messages, no errors or warnings`);
