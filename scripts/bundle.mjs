// Bundles each program, with its production dependencies, into one executable ESM file under bundle/bin:
// the container image ships these and nothing else of node_modules.
import { copyFileSync, mkdirSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const programs = {
  "tcp-echo": "dist/server/cli.js",
  prober: "dist/prober/cli/main.js",
  "tcp-splitter": "dist/splitter/cli.js",
};

mkdirSync("bundle/bin/wasm", { recursive: true });
mkdirSync("bundle/bin/vendor", { recursive: true });
// The prober's HTML report inlines uPlot, read from beside itself, as it does from dist/prober/reports/vendor.
for (const file of ["uPlot.iife.min.js", "uPlot.min.css"])
  copyFileSync(`node_modules/uplot/dist/${file}`, `bundle/bin/vendor/${file}`);
// The server loads its reply kernel from beside itself, as it does from dist/server.
copyFileSync("server/wasm/reply-kernel.wasm", "bundle/bin/wasm/reply-kernel.wasm");
// Extensionless files are ESM only under a package.json that says so.
writeFileSync("bundle/package.json", '{ "type": "module" }\n');
// prober serve --health-listen runs this file on a thread of its own, loaded from beside the prober.
const workers = { "health-worker.js": "dist/prober/serve/health-worker.js" };
for (const [name, entry] of Object.entries({ ...programs, ...workers })) {
  await build({
    entryPoints: [entry],
    outfile: `bundle/bin/${name}`,
    bundle: true,
    platform: "node",
    target: "node20",
    format: "esm",
    minify: true,
    legalComments: "external",
    // CommonJS dependencies call require() for Node built-ins; give the ESM bundle one.
    banner: {
      js: 'import { createRequire as __tcpEchoRequire } from "node:module"; const require = __tcpEchoRequire(import.meta.url);',
    },
  });
}
