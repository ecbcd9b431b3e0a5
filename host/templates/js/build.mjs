// Builds {{name}}.wasm with componentize-js (npm install).
import { componentize } from "@bytecodealliance/componentize-js";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const { component } = await componentize({
  sourcePath: join(here, "plugin.js"),
  witPath: join(here, "wit"),
  worldName: "rule",
  disableFeatures: ["http", "fetch-event"],
});
await writeFile(join(here, "{{name}}.wasm"), component);
console.log(`built {{name}}.wasm (${component.length} bytes)`);
