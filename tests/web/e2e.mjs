// End-to-end test of the browser sandbox in real headless Chromium (Debian's chromium,
// driven by playwright-core; no browser download). Serves dist/ as any static host
// would, then acts as a student: creates a Dockerfile in the editor, builds and runs it
// in the terminal, reloads and finds everything still there, and stops a runaway loop
// with Ctrl-C, and more (lessons, input, offline). Saves screenshots as artifacts.
//
//   node tests/web/e2e.mjs DIST_DIR ARTIFACT_DIR
import { chromium } from "playwright-core";
import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dist = process.argv[2] || "dist";
const artifacts = process.argv[3] || "target/web-artifacts";
mkdirSync(artifacts, { recursive: true });
const port = 8200 + Math.floor(Math.random() * 500);
const server = spawn("python3", ["-m", "http.server", String(port), "--bind", "127.0.0.1", "--directory", dist], { stdio: "ignore" });
const url = `http://127.0.0.1:${port}/`;

let failures = 0;
function check(name, ok, detail = "") {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok || !detail ? "" : `\n     ${detail}`}`);
  if (!ok) failures++;
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
page.on("dialog", (d) => d.accept(d.type() === "prompt" ? "Dockerfile" : undefined));
page.on("pageerror", (e) => console.log("page error:", e.message));

const screen = () => page.locator(".xterm-rows").innerText();
async function waitFor(what, predicate, ms = 30000) {
  const end = Date.now() + ms;
  let last = "";
  while (Date.now() < end) {
    last = await screen();
    if (predicate(last)) {
      check(what, true);
      return true;
    }
    await page.waitForTimeout(100);
  }
  check(what, false, `terminal shows:\n${last}`);
  return false;
}
async function type(line) {
  await page.locator(".term-pane").click();
  await page.keyboard.type(line);
  await page.keyboard.press("Enter");
}
const ready = () => page.waitForFunction(() => document.querySelector(".status")?.textContent.startsWith("ready"), null, { timeout: 60000 });
// Counts occurrences of a prompt at the start of a line (each finished command adds one).
const prompts = (text) => text.split("\n").filter((l) => l.startsWith("student@berth:~$")).length;

try {
  // 1. Load and wait for the engine.
  const t0 = Date.now();
  await page.goto(url);
  await ready();
  check(`page loads and the engine is ready (${Date.now() - t0} ms)`, true);

  // 2. A Dockerfile written in the editor, saved with Ctrl-S.
  await page.getByRole("button", { name: "New file" }).click();
  const editor = page.locator("#editor");
  await editor.click();
  await page.keyboard.type('FROM alpine:3.20\nRUN echo "hello from the build" > /greeting\nCMD ["cat", "/greeting"]\n');
  await page.keyboard.press("Control+s");
  await page.waitForFunction(() => document.querySelector(".status")?.textContent === "saved Dockerfile", null, { timeout: 10000 });
  check("the editor saves the Dockerfile", true);
  check("the linter finds no error in it", (await page.locator(".problems li.d-error").count()) === 0, await page.locator(".problems").innerText());

  const [file] = await Promise.all([page.waitForEvent("download"), page.getByTitle("download Dockerfile").click()]);
  check("a single file downloads", file.suggestedFilename() === "Dockerfile", file.suggestedFilename());

  // 3. Build and run it in the terminal.
  await type("docker build -t greet .");
  await waitFor("docker build names the image", (s) => s.includes("naming to docker.io/library/greet:latest done"));
  await type("docker run --rm greet");
  await waitFor("docker run prints the file the build wrote", (s) => s.includes("hello from the build"));
  await page.waitForFunction(() => document.querySelector('table[aria-label="images"]')?.textContent.includes("greet:latest"), null, { timeout: 10000 });
  check("the images panel lists greet:latest", true);

  // 4. Lint in the editor, live.
  await editor.click();
  await page.keyboard.press("Control+End");
  await page.keyboard.type("RUNN echo typo\n");
  const problems = await page.locator(".problems").innerText();
  check("a typo is flagged live with Docker's words", problems.includes("unknown instruction: RUNN") && problems.includes("did you mean RUN?"), problems);
  check("the typo is underlined", (await page.locator(".highlight .d-error").count()) > 0);
  await page.keyboard.press("Control+z");

  // 5. Reload: files and images are still there.
  await page.reload();
  await ready();
  const files = await page
    .waitForFunction(() => /^Dockerfile/m.test(document.querySelector('ul[aria-label="workspace files"]')?.innerText || ""), null, { timeout: 10000 })
    .then(() => true, () => false);
  check("after a reload the Dockerfile is still in the workspace", files, await page.locator('ul[aria-label="workspace files"]').innerText());
  await type("docker images --format '{{.Repository}}:{{.Tag}}'");
  await waitFor("after a reload the image is still there", (s) => s.includes("greet:latest"));
  await type("cat Dockerfile");
  await waitFor("after a reload the file's content is intact", (s) => s.includes('RUN echo "hello from the build" > /greeting'));

  // 6. Ctrl-C stops a runaway loop; the engine comes back with everything saved.
  await type("while true; do :; done");
  await page.waitForTimeout(1000);
  await page.keyboard.press("Control+c");
  await ready();
  await type("echo still-here && docker images -q greet | wc -l");
  await waitFor("Ctrl-C interrupts `while true` and the sandbox keeps its state", (s) => /still-here\s+1/.test(s));

  // `read` waits for a typed line (answered through the service worker, no
  // cross-origin isolation needed).
  await type("read -p 'name? ' who; echo \"hello $who\"");
  await waitFor("read shows its prompt and waits", (s) => s.trimEnd().endsWith("name?"));
  await page.keyboard.type("Ada");
  await page.keyboard.press("Enter");
  await waitFor("the typed line reaches read", (s) => s.includes("hello Ada"));

  // `sleep` really waits, and what was printed before it shows at once.
  await type("echo first; sleep 2; echo second");
  await waitFor("output before a sleep shows while it sleeps", (s) => /\$ echo first; sleep 2; echo second\s+first\s*$/.test(s.trimEnd() + "\n"));
  const slept = Date.now();
  await waitFor("the line finishes after the sleep", (s) => /first\s+second/.test(s));
  check("sleep 2 waited before the next line", Date.now() - slept > 1000, `${Date.now() - slept} ms`);

  // Ctrl-C in a sleep ends the command at once, without restarting the engine ($? is 130).
  await type("sleep 30; echo not-reached");
  await page.waitForTimeout(500);
  await page.keyboard.press("Control+c");
  await type("echo status=$?");
  await waitFor("Ctrl-C ends a sleep at once with status 130", (s) => /status=130/.test(s) && !/^not-reached$/m.test(s), 5000);

  // A container in the foreground shows its output as it goes; Ctrl-C stops it.
  await type("docker run --rm alpine:3.20 sh -c 'i=0; while true; do i=$((i+1)); echo beat $i; sleep 1; done'");
  await waitFor("a foreground container shows its output as it goes", (s) => /beat 2\s*$/.test(s.trimEnd()), 15000);
  await page.keyboard.press("Control+c");
  await type("echo fg=$?");
  await waitFor("Ctrl-C stops a foreground container (130)", (s) => /fg=130/.test(s), 6000);

  // `docker logs -f` follows a detached service in real time; Ctrl-C leaves it running,
  // and what it printed meanwhile is in its logs.
  await type("docker run -d --name ticker alpine:3.20 sh -c 'i=0; while true; do i=$((i+1)); echo tick $i; sleep 1; done'");
  await type("docker logs -f ticker");
  await waitFor("docker logs -f shows the logs so far, then the process goes on", (s) => /tick 1\s+tick 2\s/.test(s), 15000);
  await waitFor("docker logs -f follows in real time", (s) => /tick 4\s*$/.test(s.trimEnd()), 10000);
  await page.keyboard.press("Control+c");
  await type("docker ps --format '{{.Names}} {{.Status}}' && docker logs --tail 1 ticker");
  await waitFor("after Ctrl-C the container is still up and its logs kept what was followed", (s) => /ticker Up[^\n]*\s+tick ([4-9]|\d\d)\s/.test(s), 8000);
  // Its sleeps pass as the clock does: three seconds later it has ticked three more times.
  const lastTick = (s) => Number([...s.matchAll(/tick (\d+)/g)].at(-1)?.[1] ?? 0);
  const before = lastTick(await screen());
  await page.waitForTimeout(3000);
  await type("docker logs --tail 1 ticker");
  await waitFor("a detached service goes on while nobody follows it", (s) => lastTick(s) >= before + 2, 8000);
  // A reload keeps it running: its journal is saved with the sandbox.
  const beforeReload = lastTick(await screen());
  await page.reload();
  await ready();
  await page.waitForTimeout(1500);
  await type("docker ps --format '{{.Names}} {{.Status}}' && docker logs --tail 1 ticker");
  await waitFor("after a reload the service is still up and has gone on", (s) => /ticker Up/.test(s) && lastTick(s) > beforeReload, 8000);
  await type("docker rm -f ticker");

  // 7. Tab completion.
  await page.locator(".term-pane").click();
  await page.keyboard.type("docker ru");
  await page.keyboard.press("Tab");
  await page.keyboard.type("--rm gre");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  await waitFor("Tab completes `docker run --rm greet:latest`", (s) => s.includes("docker run --rm greet:latest") && s.split("hello from the build").length >= 2);

  // An interactive shell in a container, until `exit`.
  await type("docker run -it --rm --name box alpine:3.20 sh");
  await waitFor("docker run -it gives the container's shell prompt", (s) => s.trimEnd().endsWith("/ #"));
  await type("cd /etc && cat alpine-release");
  await waitFor("commands run inside the container and keep their directory", (s) => /3\.20\.\d+\s+\/etc #/.test(s));
  await type("exit");
  await waitFor("exit returns to the sandbox host", (s) => s.trimEnd().endsWith("student@berth:~$"));

  // Real Python (CPython for WASI, fetched on first use): computation, input() from the
  // terminal, and the REPL keeping its variables from one line to the next.
  await type(`docker run --rm python:3.11-slim python -c "import sys; print(sum(range(10)) * 6, sys.version_info[:2])"`);
  await waitFor("python computes on the real interpreter", (s) => s.includes("270 (3, 11)"), 90000);
  await type(`docker run --rm -it python:3.11-slim python -c "print('hi', input('who? '))"`);
  await waitFor("input() shows its prompt and waits", (s) => s.trimEnd().endsWith("who?"));
  await page.keyboard.type("Grace");
  await page.keyboard.press("Enter");
  await waitFor("the typed line reaches input()", (s) => s.includes("hi Grace"));
  await type("docker run --rm -it python:3.11-slim python");
  await waitFor("the REPL shows its banner and prompt", (s) => s.includes("Python 3.11") && s.trimEnd().endsWith(">>>"));
  await type("x = 6 * 7");
  await page.waitForTimeout(300);
  await page.keyboard.type("print(x + 1)");
  await page.keyboard.press("Enter");
  await waitFor("the REPL keeps variables between lines", (s) => /print\(x \+ 1\)\s+43\s+>>>\s*$/.test(s.trimEnd() + " "));
  await page.keyboard.type("exit()");
  await page.keyboard.press("Enter");
  await waitFor("exit() returns to the sandbox host", (s) => s.trimEnd().endsWith("student@berth:~$"));
  await type(`docker run --rm -it python:3.11-slim python -c "import time; print('tick'); time.sleep(2); print('tock')"`);
  await waitFor("time.sleep shows the output before it and waits", (s) => /\btick\s*$/.test(s.trimEnd()));
  const ticked = Date.now();
  await waitFor("the program goes on after the sleep", (s) => /tick\s+tock/.test(s));
  check("time.sleep(2) waited", Date.now() - ticked > 1000, `${Date.now() - ticked} ms`);
  await type(`docker run --rm python:3.11-slim sh -c "pip install -q tabulate 2>/dev/null; python -c 'from tabulate import tabulate; print(tabulate([[1, 22]]))'"`);
  await waitFor("a pure-Python wheel installs from the wheelhouse and runs", (s) => /-\s+--\s+1\s+22\s+-\s+--/.test(s));
  await page.screenshot({ path: join(artifacts, "sandbox.png") });

  // apt over Debian's own index, its shards fetched by the worker as apt needs them.
  const fnv = (name) => { let h = 0x811c9dc5; for (const b of new TextEncoder().encode(name)) h = Math.imul(h ^ b, 0x01000193) >>> 0; return h % 64; };
  const shard = readFileSync(join(dist, "debian", "bookworm", `${String(fnv("curl")).padStart(2, "0")}.tsv`), "utf8");
  const curl = shard.split("\n").find((l) => l.startsWith("curl\t")).split("\t")[1];
  await type(`docker run --rm debian:bookworm-slim sh -c "apt-get update -qq && apt-get install -y -qq curl > /dev/null; dpkg -s curl | grep ^Version; dpkg -l | grep -c libcurl4"; docker rmi debian:bookworm-slim > /dev/null`);
  await waitFor("apt installs from Debian's own index in the browser", (s) => s.includes(`Version: ${curl}`) && /Version: \S+\s+1\s/.test(s));

  // pip over PyPI's own list for a project the curated index lacks (gunicorn).
  await type(`docker run --rm python:3.11-slim sh -c "pip install -q gunicorn 2>/dev/null; pip list 2>/dev/null | grep -c ^gunicorn"`);
  await waitFor("pip installs a project from PyPI's list in the browser", (s) => /grep -c \^gunicorn"\s+1\s/.test(s));

  // 8. A lesson opened by its link: its own sandbox, click-to-run commands, automatic
  //    checks after each command, progress kept across a reload.
  await page.goto(url + "#/lessons/02-first-dockerfile");
  await ready();
  await page.waitForSelector(".step-title", { timeout: 10000 });
  check("a lesson opens from its link", (await page.locator(".lesson h2").innerText()) === "Your first Dockerfile");
  await type("ls");
  await waitFor("the lesson's sandbox holds the lesson's starting files", (s) => /\$ ls\s+greet\.py\s/.test(s));
  await page.getByRole("button", { name: "Check" }).click();
  await page.waitForSelector(".note.fail", { timeout: 10000 });
  check("Check explains what is missing", (await page.locator(".note").innerText()).includes("there is no file Dockerfile"));
  await page.getByRole("button", { name: "Show solution" }).click();
  await page.getByRole("button", { name: "Apply the solution" }).click();
  await page.waitForFunction(() => document.querySelector(".step-title")?.textContent.startsWith("Step 2 of 4"), null, { timeout: 15000 });
  check("the reference solution completes step 1", true);
  await page.locator("pre.exec", { hasText: "docker build -t greet:v1 ." }).click();
  await page.waitForFunction(() => document.querySelector(".step-title")?.textContent.startsWith("Step 3 of 4"), null, { timeout: 30000 });
  check("a click-to-run command runs in the terminal and the automatic check moves on", true);
  await page.reload();
  await ready();
  await page.waitForFunction(() => document.querySelector(".step-title")?.textContent.startsWith("Step 3 of 4"), null, { timeout: 15000 });
  check("after a reload the lesson is at the same step", true);
  await page.screenshot({ path: join(artifacts, "lesson.png") });
  await page.getByTitle("all lessons").click();
  await page.waitForSelector('section[aria-label="lessons"] li', { timeout: 10000 });
  const list = await page.locator('section[aria-label="lessons"]').innerText();
  check("the lesson list shows progress", list.includes("Your first Dockerfile") && list.includes("2/4"), list);
  await type("docker images --format '{{.Repository}}:{{.Tag}}' | sort");
  await waitFor("back in the student's own sandbox", (s) => /alpine:3.20\s+greet:latest\s+python:3.11-slim\s+student@berth/.test(s.split("own sandbox").pop()));
  console.log(`screenshot: ${join(artifacts, "sandbox.png")}`);

  // A lesson served from a URL as a tar of its folder (an instructor's preview).
  spawnSync("python3", ["-c", "import sys, tarfile; t = tarfile.open(sys.argv[1], 'w'); t.add('lessons/03-entrypoint-and-cmd', arcname='03-entrypoint-and-cmd'); t.close()", join(dist, "preview-lesson.tar")]);
  await page.goto(url + "#/lessons/url=preview-lesson.tar");
  await page.waitForFunction(() => document.querySelector(".lesson h2")?.textContent === "ENTRYPOINT and CMD", null, { timeout: 15000 }).then(
    () => check("a lesson loads from a URL (a tar of its folder)", true),
    async () => check("a lesson loads from a URL (a tar of its folder)", false, await page.locator("body").innerText()),
  );
  await page.getByTitle("all lessons").click();

  // A Killercoda scenario, unchanged: Killercoda's Ubuntu host, what differs said before
  // the student starts, the foreground script typed into the terminal, a failing
  // verify.sh's own words, multi-line {{exec}} blocks run whole, {{exec interrupt}}.
  spawnSync("python3", ["-c", "import sys, tarfile; t = tarfile.open(sys.argv[1], 'w'); t.add('tests/cli/fixtures/killercoda-ks', arcname='killercoda-ks'); t.close()", join(dist, "killercoda-lesson.tar")]);
  await page.goto(url + "#/lessons/url=killercoda-lesson.tar");
  await page.waitForFunction(() => document.querySelector(".lesson h2")?.textContent === "A first image, the Killercoda way", null, { timeout: 15000 });
  check("a Killercoda scenario opens", true);
  const notes = await page.locator(".lesson .notes").innerText().catch(() => "");
  check("what Berth runs differently is shown before the student starts", notes.includes("background script background.sh runs to its end"), notes);
  await waitFor("its foreground script is typed into the terminal on Killercoda's host", (s) => /root@ubuntu:~# echo "Waiting for the environment\.\.\."[\s\S]*Ready\./.test(s));
  await page.getByRole("button", { name: "Check" }).click();
  await page.waitForSelector(".note.fail", { timeout: 10000 });
  const said = await page.locator(".note").innerText();
  check("a failing verify.sh shows what it printed", said.includes("No such image: myapp:v1") && said.includes("exited with status 1"), said);
  await page.locator("pre.exec", { hasText: "cat <<'EOF' > /root/app/Dockerfile" }).click();
  await page.locator("pre.exec", { hasText: "docker build -t myapp:v1" }).click();
  await page.waitForFunction(() => document.querySelector(".step-title")?.textContent.startsWith("Step 2 of 2"), null, { timeout: 30000 }).then(
    () => check("a heredoc block and a \\ block each run as one command, and the step is done", true),
    async () => check("a heredoc block and a \\ block each run as one command, and the step is done", false, await screen()),
  );
  await page.locator("code.exec", { hasText: "docker logs web" }).click();
  await waitFor("{{exec interrupt}} sends Ctrl-C, then the command", (s) => /\^C[\s\S]*No such container: web/.test(s));
  await type("echo one \\");
  await type("two");
  await waitFor("a command typed over two lines waits under > and runs whole", (s) => /^> two\s+one two$/m.test(s));
  await page.getByTitle("all lessons").click();

  // A lesson folder picked from disk (the "Preview a lesson folder…" input).
  await page.locator('input[webkitdirectory]').setInputFiles("lessons/04-volumes-and-files");
  await page
    .waitForFunction(() => (document.querySelector('section[aria-label="lessons"]')?.innerText.match(/Getting files in and out/g) || []).length === 2, null, { timeout: 10000 })
    .then(() => check("a lesson folder from disk joins the list for a preview", true), async () => check("a lesson folder from disk joins the list for a preview", false, await page.locator('section[aria-label="lessons"]').innerText()));

  // Offline: the service worker serves the page from its cache.
  await page.context().setOffline(true);
  await page.reload();
  await ready();
  check("the page opens offline after the first visit", true);
  await page.context().setOffline(false);

  // Reset sandbox (after its confirmation): a first visit's workspace, no images.
  await page.getByRole("button", { name: "Reset sandbox" }).click();
  await ready();
  await type("ls; docker images -q | wc -l");
  await waitFor("Reset sandbox starts over", (s) => /README\.md\s+hello\s+0\s/.test(s.split("was reset").pop()));
} catch (e) {
  check("end-to-end run", false, String(e && e.stack || e));
  await page.screenshot({ path: join(artifacts, "failure.png") }).catch(() => {});
} finally {
  await browser.close();
  server.kill();
}
console.log(failures ? `${failures} browser check(s) failed` : "all browser checks passed");
process.exit(failures ? 1 : 0);
