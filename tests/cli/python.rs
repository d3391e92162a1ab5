//! Python in the userland: virtual environments, pip over the offline index, imports
//! checked against what is installed, and pip's and CPython's errors.

use crate::sessions;

const VENV_PROJECT: &str = "//- Dockerfile
FROM python:3.8-slim-buster as dev
RUN mkdir -p /usr/src/app
WORKDIR /usr/src/app
RUN python -m venv /opt/venv
ENV PATH=\"/opt/venv/bin:$PATH\"
COPY requirements.txt .
RUN pip install -r requirements.txt

FROM dev as share
COPY --from=dev /opt/venv /opt/venv
ENV PATH=\"/opt/venv/bin:$PATH\"
COPY training.py ./
//- requirements.txt
# what the training script needs
numpy
pandas>=1.3
scikit-learn
//- training.py
import numpy
print('training')
";

#[test]
fn venv_and_requirements_in_a_multi_stage_build() {
    insta::assert_snapshot!(sessions(
        VENV_PROJECT,
        &[
            "berth build --progress=plain -t trainer:share .",
            "berth run --rm trainer:share python -c \"import numpy, sklearn; print('numpy', numpy.__version__)\"",
            "berth run --rm trainer:share pip list",
            "berth run --rm trainer:share pip show pandas",
            "berth run --rm trainer:share python --version",
            "berth run --rm trainer:share sh -c \"cat /opt/venv/pyvenv.cfg; ls /opt/venv/bin\"",
        ]
    ));
}

#[test]
fn pip_and_python_errors_use_their_own_words() {
    insta::assert_snapshot!(sessions(
        "//- requirements.txt\nflask==9.0\n",
        &[
            "berth run --rm python:3.11-slim pip install tensorflw",
            "berth run --rm python:3.11-slim pip install numpy==2.1.2 pandas",
            "berth run --rm python:3.8-slim pip install numpy==2.1.2",
            "berth run --rm python:3.11-slim pip instal flask",
            "berth run --rm python:3.11-slim pip install -r requirements.txt",
            "berth run --rm python:3.11-slim python -c \"import numpy\"",
            "berth run --rm python:3.11-slim python greet.py",
            "berth run --rm python:3.11-slim python -m nosuchmodule",
            "berth run --rm python:3.11-slim python -c \"for i in range(3): print(i)\"",
            "berth run --rm python:3.11-slim pip show flask",
        ]
    ));
}

#[test]
fn pip_install_upgrade_uninstall_and_the_cache() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth run --name pa python:3.11-slim sh -c \"pip install -q flask==2.3.3 && pip freeze && pip install -U flask && pip install flask && pip uninstall -y blinker && pip freeze | grep -c . && du -sh /root/.cache/pip\"",
            "berth run --rm python:3.11-slim sh -c \"pip install --no-cache-dir requests >/dev/null 2>&1; ls /root/.cache/pip || echo no cache\"",
            "berth run --rm --user 1000 python:3.11-slim pip install six",
            "berth run --rm python:3.11-slim sh -c \"pip install -q --user six 2>/dev/null && ls /root/.local/lib/python3.11/site-packages && python -m venv /v && /v/bin/pip install --user six\"",
            "berth run --rm --user 1000 -e HOME=/tmp python:3.11-slim sh -c \"pip install -q six && python -c 'import six; print(six.__version__)' && ls /tmp/.local/lib/python3.11/site-packages\"",
        ]
    ));
}

/// Package-manager input is user input: mangled requirement files, environment files and
/// specs must give errors, never a panic (which would take the browser tab down).
#[test]
fn mangled_package_input_never_panics() {
    let seeds = [
        "flask==3.0.3", "numpy>=1.2,<2", "pandas[excel]~=2.0", "requests @ https://x", "-r other.txt", "torch; python_version>'3'", "scikit-learn===1.3.2",
        "name: env\ndependencies:\n  - python=3.8\n  - pip:\n    - flask\n", "build-essential", "py3-pip",
    ];
    let noise = ["", "é", "==", ">=<", "[", "]", "\u{0}", "💥", "-", ".*", "~=", "'", "\"", ":", " ", "\n", "=1.", "@"];
    let mut cases = 0;
    for (i, seed) in seeds.iter().enumerate() {
        for (j, n) in noise.iter().enumerate() {
            let at = (i * 7 + j * 3) % (seed.len() + 1);
            let at = (0..=at).rev().find(|k| seed.is_char_boundary(*k)).unwrap_or(0);
            let mangled = format!("{}{n}{}", &seed[..at], &seed[at..]);
            let quoted = mangled.replace('\'', "'\\''");
            let script = format!(
                "printf '%s\\n' '{quoted}' > /tmp/req.txt; pip install -r /tmp/req.txt; pip install '{quoted}'; pip show '{quoted}'; \
                 python -c '{quoted}'; cp /tmp/req.txt /tmp/env.yml; conda env create -f /tmp/env.yml; true"
            );
            let host = crate::MemoryHost::new("");
            for image in ["python:3.11-slim", "continuumio/miniconda3"] {
                let args: Vec<String> = ["run", "--rm", image, "sh", "-c", &script].iter().map(|s| s.to_string()).collect();
                // A panic inside the engine fails this test; every run must end with an exit code.
                let out = engine::cli::run(&args, &host);
                assert!((0..=255).contains(&out.code), "{image}: {mangled:?}: exit {}", out.code);
                cases += 1;
            }
            let apt = format!("apt-get update -qq; apt-get install -y '{quoted}'; apt-cache show '{quoted}'; apk add --no-cache '{quoted}'; true");
            for image in ["debian:bookworm-slim", "alpine:3.20"] {
                let args: Vec<String> = ["run", "--rm", image, "sh", "-c", &apt].iter().map(|s| s.to_string()).collect();
                engine::cli::run(&args, &host);
                cases += 1;
            }
        }
    }
    println!("mangled package inputs: {cases} runs without a panic");
}

const SCRIPT_PROJECT: &str = r#"//- Dockerfile
FROM python:3.11-slim
WORKDIR /app
COPY app.py data.txt ./
ENTRYPOINT ["python", "-u", "app.py"]
//- app.py
import os, sys
print("argv", sys.argv)
print("cwd", os.getcwd())
with open("data.txt") as f:
    words = f.read().split()
with open("/tmp/count.txt", "w") as out:
    out.write(str(len(words)))
print("counted", len(words), "words:", ", ".join(sorted(words)))
if "--fail" in sys.argv:
    raise SystemExit(3)
//- data.txt
pear apple fig
"#;

/// `python` is CPython itself (compiled for WASI): scripts, files, argv, exit codes,
/// tracebacks, the version the image promises, virtual environments.
#[test]
fn the_real_interpreter_runs_what_students_write() {
    assert!(engine::wasi::python_available(), "the Python interpreter is not built: run scripts/build-python (scripts/test does)");
    let host = crate::MemoryHost::new(SCRIPT_PROJECT);
    insta::assert_snapshot!(crate::sessions_on(
        &host,
        &[
            "berth build -q -t counter .",
            "berth run --rm counter one two",
            "berth run --name c1 counter --fail",
            "berth cp c1:/tmp/count.txt count.txt",
            "berth run --rm counter sh -c \"echo unused\"",
            "berth run --rm --entrypoint python counter -c \"1/0\"",
            "berth run --rm --entrypoint python counter -c \"import sys; print(sys.version_info[:3], sys.version.split()[0])\"",
            "berth run --rm python:3.8-slim python -c \"import sys, platform; print(sys.version_info[:3], platform.python_version())\"",
            "berth run --rm python:3.11-slim sh -c \"python -m venv /v && /v/bin/python -c 'import sys; print(sys.prefix, sys.base_prefix)'\"",
            "berth run --rm python:3.11-slim python -c \"import time; t = time.time(); time.sleep(5); print(round(time.time() - t))\"",
            "berth run --rm python:3.11-slim sh -c \"pip install -q numpy==2.1.2 2>/dev/null; python -c 'import numpy; print(numpy.__version__); numpy.zeros(3)'\"",
            "berth run --rm python:3.11-slim python -c \"import json, collections; print(json.dumps(collections.Counter('banana').most_common(2)))\"",
            "berth run --rm debian:bookworm sh -c \"apt-get update >/dev/null && apt-get install -y python3 >/dev/null 2>&1; python3 -c 'import sys; print(sys.version_info[:3], sys.prefix)'\"",
            "berth run --rm anibali/pytorch:1.8.1-cuda11.1 python -c \"import torch; print(torch.__version__, torch.cuda.is_available()); torch.zeros(2)\"",
        ]
    ));
    assert_eq!(host.file("count.txt").expect("copied out of the exited container"), b"3");
}

/// Distributions of the wheelhouse (pure Python) install from their real wheels and run.
#[test]
fn pure_python_packages_install_from_their_wheels_and_run() {
    assert!(engine::wasi::wheel("tabulate", "0.9.0").is_some(), "no wheelhouse: run scripts/fetch-wheels (scripts/test does)");
    insta::assert_snapshot!(sessions(
        "//- app.py
from flask import Flask
from tabulate import tabulate

app = Flask(__name__)

@app.route('/')
def index():
    return tabulate([['pear', 3], ['fig', 12]], headers=['fruit', 'count'])

print(app.test_client().get('/').data.decode())
//- net.py
import requests
try:
    requests.get('http://example.com', timeout=5)
except requests.exceptions.ConnectionError as e:
    print('no network:', type(e).__name__)
",
        &[
            "berth run --rm -v /:/app -w /app python:3.11-slim sh -c \"pip install -q flask==3.0.3 tabulate 2>/dev/null && python app.py && flask --version && ls /usr/local/lib/python3.11/site-packages/flask | head -4\"",
            "berth run --rm -v /:/app -w /app python:3.11-slim sh -c \"pip install -q requests 2>/dev/null && python net.py\"",
        ]
    ));
}

/// `while True: pass` stops at the runtime's time limit instead of hanging the engine.
#[test]
fn a_runaway_python_loop_stops_at_the_time_limit() {
    let mut machine = engine::wasi::native::machine().expect("wasmtime");
    machine.time_limit = Some(1.0);
    engine::wasi::install(machine);
    insta::assert_snapshot!(sessions("", &["berth run --rm python:3.11-slim sh -c \"python -c 'while True: pass'; echo status $?\""]));
}

/// A Python service resumed by `logs -f` goes on with its state (its counter, its random
/// numbers) from the sleep it waits in, and writes nothing twice.
#[test]
fn logs_follow_resumes_a_python_service() {
    let host = crate::MemoryHost::new(
        "//- /srv/service.py
import random, sys, time
n, seen = 0, set()
while True:
    n += 1
    seen.add(random.randrange(10**9))
    print('tick', n, len(seen), random.randrange(1000), flush=True)
    with open('/srv/ticks', 'a') as f:
        f.write(f'{n}\\n')
    if n == 66:
        sys.exit(4)
    time.sleep(1)
",
    );
    let mut out = crate::sessions_on(&host, &["berth run -d --name svc -v /srv:/srv python:3.11-slim python /srv/service.py"]);
    host.advance(60);
    host.follow_for(1);
    out += &crate::sessions_on(&host, &["berth logs -f -n 1 svc"]);
    host.follow_for(5);
    out += &crate::sessions_on(&host, &["berth logs -f -n 1 svc", "berth ps -a --format \"{{.Names}} {{.Status}}\""]);
    insta::assert_snapshot!(out.split("Status: Downloaded newer image for python:3.11-slim\n").last().unwrap());
    let ticks = String::from_utf8(host.file("/srv/ticks").unwrap()).unwrap();
    assert_eq!(ticks.lines().collect::<Vec<_>>(), (1..=66).map(|i| i.to_string()).collect::<Vec<_>>());
}

/// The time limit counts running time, not the sleeps a followed service really waits out.
#[test]
fn time_a_followed_service_waits_is_not_running_time() {
    let mut machine = engine::wasi::native::machine().expect("wasmtime");
    machine.time_limit = Some(1.0);
    engine::wasi::install(machine);
    let host = crate::MemoryHost::new("");
    let script = "import time\nfor i in range(42):\n    print(i, flush=True)\n    time.sleep(1.5)";
    crate::sessions_on(&host, &[&format!("berth run -d --name svc python:3.11-slim python -c \"{script}\"")]);
    host.advance(61);
    host.follow_for(3);
    host.follow_in_real_time.set(true);
    let out = crate::sessions_on(&host, &["berth logs -f -n 0 svc"]);
    // It waits 1.5 s for real in its last sleep, past the 1 s limit, and ends by itself.
    assert!(out.contains("exit: 0") && out.contains("41\n[waits 1.499999 s]"), "{out}");
    assert!(!out.contains("time limit"), "{out}");
}

/// The generated index, as `scripts/pypi-index` leaves it (`./scripts/test` generates it
/// before the tests).
fn pypi_project(name: &str) -> serde_json::Value {
    let dir = engine::shell::packages::pypi_index::native_dir().expect("the PyPI index has not been generated: run scripts/pypi-index");
    let shard = dir.join(format!("{:02}.jsonl", engine::shell::packages::debian_index::shard_of(name)));
    let text = std::fs::read_to_string(&shard).unwrap();
    text.lines().map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()).find(|p| p["name"] == name).unwrap_or_else(|| panic!("{name} is not in {}", shard.display()))
}

#[test]
fn pip_installs_projects_the_curated_index_lacks_from_pypis_own_list() {
    let flask = pypi_project("flask");
    assert!(flask["versions"].get("2.0.2").is_some() && flask["versions"].get("3.0.0").is_some());
    let out = crate::sessions_live(
        "",
        &[
            "berth run --rm python:3.11-slim sh -c \"pip install -q django gunicorn flask==2.0.2 2>&1 | grep -v WARNING; pip list 2>/dev/null | grep -iE '^(django|gunicorn|flask) '\"",
            "berth run --rm python:3.11-slim sh -c \"pip index versions flask 2>/dev/null | head -1; pip install -q flask==3.0.0 2>/dev/null; pip show flask | grep ^Version\"",
            "berth run --rm python:3.11-slim pip install nosuch-project-berth",
        ],
    );
    // Django's newest release for Python 3.11 (its newer ones need 3.12), by the index.
    let django = pypi_project("django");
    let rp_ok = |v: &str| django["requires_python"].get(v).and_then(|r| r.as_str()).is_none_or(|r| !r.contains(">=3.12") && !r.contains(">=3.13") && !r.contains(">=3.14"));
    let mut versions: Vec<&String> = django["versions"].as_object().unwrap().keys().filter(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.') && rp_ok(v)).collect();
    versions.sort_by_key(|v| v.split('.').map(|p| p.parse::<u64>().unwrap_or(0)).collect::<Vec<_>>());
    // Django's own wheel names it with a capital, as pip list then shows it.
    assert!(out.to_lowercase().contains(&format!("django       {}\n", versions.last().unwrap())), "{out}");
    assert!(out.contains("flask        2.0.2\n") && out.contains("gunicorn     "), "{out}");
    assert!(out.contains(&format!("flask ({})\nVersion: 3.0.0\n", flask["latest"].as_str().unwrap())), "{out}");
    assert!(out.contains("ERROR: Could not find a version that satisfies the requirement nosuch-project-berth (from versions: none)"), "{out}");
}

/// Natively, a pure-Python project of PyPI's list that the curated index lacks installs
/// for real: its wheel comes from PyPI (checked against PyPI's sha256) and its code runs
/// on the real interpreter.
#[test]
fn a_pure_python_project_installs_from_pypi_for_real_natively() {
    if !engine::wasi::python_available() {
        println!("the Python interpreter has not been built: skipped (./scripts/test builds it)");
        return;
    }
    let toolz = pypi_project("toolz");
    let latest = toolz["latest"].as_str().unwrap();
    let out = crate::sessions_live("", &["berth run --rm python:3.11-slim sh -c \"pip install -q toolz 2>/dev/null; python -c 'import toolz; print(toolz.__version__, toolz.first([7, 8]))'; ls /usr/local/lib/python3.11/site-packages/toolz | grep -c '[.]py$'\""]);
    assert!(out.contains(&format!("--- stdout\n{latest} 7\n")), "{out}");
    let files: usize = out.split("--- stdout\n").nth(1).and_then(|s| s.lines().nth(1)).and_then(|l| l.trim().parse().ok()).unwrap_or(0);
    assert!(files > 5, "the wheel's own modules, not a modelled one: {out}");
}
