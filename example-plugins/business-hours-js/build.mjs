// Builds business-hours.wasm with componentize-js (run `npm ci` first).
//   node build.mjs [OUT.wasm]
import { componentize } from "@bytecodealliance/componentize-js";
import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { dirname, join, resolve } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const out = resolve(process.argv[2] || join(here, "business-hours.wasm"));
const { component } = await componentize({
  sourcePath: join(here, "plugin.js"),
  witPath: join(here, "../../wit"),
  worldName: "rule",
  disableFeatures: ["http", "fetch-event"],
});
await writeFile(out, component);
console.error(`built ${out} (${component.length} bytes)`);
