// Builds business-hours.wasm with componentize-js (run `npm ci` first).
//   node build.mjs [OUT.wasm [SOURCE.js]]
// SOURCE.js builds another plugin with this toolchain (the test fixtures).
import { componentize } from "@bytecodealliance/componentize-js";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, "business-hours.wasm"));
const { component } = await componentize({
  sourcePath: resolve(process.argv[3] || join(here, "plugin.js")),
  witPath: join(here, "../../wit"),
  worldName: "rule",
  disableFeatures: ["http", "fetch-event"],
});
await writeFile(out, component);
console.error(`built ${out} (${component.length} bytes)`);
