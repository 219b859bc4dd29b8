// Validates the contracts with the parsers their ecosystems use: OpenAPI
// 3.1 (swagger-parser) and AsyncAPI 3 (the AsyncAPI initiative's parser).
// Exit 1 on the first error; warnings are printed.
import SwaggerParser from "@apidevtools/swagger-parser";
import { Parser, fromFile } from "@asyncapi/parser";

const dir = process.argv[2] ?? "../../contracts";
try {
  const api = await SwaggerParser.validate(`${dir}/openapi.yaml`);
  console.log(`openapi.yaml: valid OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
} catch (e) {
  console.error(`openapi.yaml: ${e.message}`);
  process.exitCode = 1;
}
const { document, diagnostics } = await fromFile(new Parser(), `${dir}/asyncapi.yaml`).parse();
const severity = ["error", "warning", "info", "hint"];
for (const d of diagnostics.filter((d) => d.severity <= 1)) {
  console.error(`asyncapi.yaml: ${severity[d.severity]}: ${d.message} at ${d.path.join(".")}`);
}
if (!document) {
  process.exitCode = 1;
} else {
  console.log(`asyncapi.yaml: valid AsyncAPI ${document.version()}, ${document.channels().length} channels, ${document.messages().length} messages`);
}
