// Benchmark of the browser sandbox: time from navigation until the terminal accepts
// input (the engine's worker reports ready), on a cold cache and a warm one, and the
// gzip size of everything the page downloads. Prints figures; asserts nothing.
//
//   node tests/web/bench.mjs DIST_DIR [RUNS]
import { chromium } from "playwright-core";
import { spawn } from "node:child_process";
import { gzipSync } from "node:zlib";

const dist = process.argv[2] || "dist";
const runs = Number(process.argv[3] || 5);
const port = 8700 + Math.floor(Math.random() * 200);
const server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dist], { stdio: "ignore" });
const url = `http://127.0.0.1:${port}/`;
await new Promise((r) => setTimeout(r, 500));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const ready = (page) => page.waitForFunction(() => document.querySelector(".status")?.textContent.startsWith("ready"), null, { timeout: 60000, polling: 5 });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const cold = [];
const warm = [];
let downloaded = new Map();
for (let i = 0; i < runs; i++) {
  const context = await browser.newContext();
  const page = await context.newPage();
  if (i === 0) {
    page.on("response", async (r) => {
      try {
        const body = await r.body();
        downloaded.set(new URL(r.url()).pathname, { raw: body.length, gzip: gzipSync(body, { level: 9 }).length });
      } catch {}
    });
  }
  let t = Date.now();
  await page.goto(url);
  await ready(page);
  cold.push(Date.now() - t);
  t = Date.now();
  await page.reload();
  await ready(page);
  warm.push(Date.now() - t);
  await context.close();
}
await browser.close();
server.kill();

let raw = 0, gz = 0;
console.log("downloads on first visit (bytes, gzip -9):");
for (const [path, s] of [...downloaded].sort((a, b) => b[1].gzip - a[1].gzip)) {
  console.log(`  ${path.padEnd(24)} ${String(s.raw).padStart(9)}  ${String(s.gzip).padStart(8)}`);
  raw += s.raw;
  gz += s.gzip;
}
console.log(`  ${"total".padEnd(24)} ${String(raw).padStart(9)}  ${String(gz).padStart(8)}  (${(gz / 1048576).toFixed(2)} MiB gzip; goal <= 2 MB)`);
console.log(`navigation -> terminal ready, cold cache: median ${median(cold)} ms  (${cold.join(", ")})`);
console.log(`navigation -> terminal ready, warm cache: median ${median(warm)} ms  (${warm.join(", ")}; goal <= 500 ms)`);
