// Prints the built bundle's size: every .js and .css file under dist/assets, raw and gzipped.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";

const assets = join(import.meta.dirname, "..", "dist", "assets");
let raw = 0;
let gzip = 0;
const rows = [];
for (const name of readdirSync(assets).sort()) {
  if (!name.endsWith(".js") && !name.endsWith(".css")) continue;
  const bytes = readFileSync(join(assets, name));
  const zipped = gzipSync(bytes, { level: 9 }).length;
  raw += bytes.length;
  gzip += zipped;
  rows.push(`  ${name.padEnd(48)} ${(bytes.length / 1024).toFixed(1).padStart(8)} KB  (gzip ${(zipped / 1024).toFixed(1)} KB)`);
}
console.log(rows.join("\n"));
console.log(`bundle: ${(raw / 1024).toFixed(1)} KB (gzip ${(gzip / 1024).toFixed(1)} KB)`);
