// Benchmark of the browser sandbox: time from navigation until the terminal accepts
// input (the engine's worker reports ready), on a cold cache and a warm one, the gzip
// size of everything the page downloads, and how long `apt-get install -y curl` and
// `pip install pandas` take cold and warm. Prints figures; asserts nothing.
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
// Package installs in the sandbox: cold (a fresh browser profile: the image, the
// package index's shards and the wheels are fetched), warm in the same page (the
// worker holds what it read), and after a reload (the service worker's cache).
const installs = [];
{
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(url);
  await ready(page);
  let n = 0;
  const timed = async (label, command) => {
    // The typed line shows `DONE-$((N))`; only the command's output shows `DONE-N`.
    const mark = `DONE-${++n}`;
    await page.locator(".term-pane").click();
    await page.keyboard.type(`${command} && echo DONE-$((${n}))`);
    const t = Date.now();
    await page.keyboard.press("Enter");
    await page.waitForFunction((m) => document.querySelector(".xterm-rows")?.innerText.includes(m), mark, { timeout: 120000, polling: 20 });
    installs.push([label, Date.now() - t]);
  };
  const apt = 'docker run --rm debian:bookworm-slim sh -c "apt-get update -qq && apt-get install -y -qq curl > /dev/null"';
  const pip = "docker run --rm python:3.11-slim pip install -q pandas";
  await timed("apt-get install -y curl, cold", apt);
  await timed("apt-get install -y curl, warm (same page)", apt);
  await timed("pip install pandas, cold", pip);
  await timed("pip install pandas, warm (same page)", pip);
  await page.reload();
  await ready(page);
  n += 10;
  await timed("apt-get install -y curl, after a reload", apt);
  await timed("pip install pandas, after a reload", pip);
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
for (const [label, ms] of installs) {
  console.log(`${label.padEnd(44)} ${String(ms).padStart(6)} ms`);
}
