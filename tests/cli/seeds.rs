//! Every Dockerfile in the course documents (`../shared/seeds/`) is read as Docker reads
//! it: complete Dockerfiles are accepted, fragments parse, and the documents' typos fail
//! with Docker's own error.

use engine::dockerfile::{instructions, parse};

/// The workplace's shared folder, found as the conformance tests find it.
fn shared_dir() -> std::path::PathBuf {
    if let Ok(dir) = std::env::var("BERTH_SHARED") {
        return dir.into();
    }
    let repo = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let repo = repo.canonicalize().unwrap_or(repo);
    repo.ancestors().skip(1).map(|d| d.join("shared")).find(|d| d.join("seeds").is_dir()).unwrap_or_else(|| "/work/shared".into())
}

/// Dockerfile code blocks of the seed documents: (document, first line, text).
fn dockerfile_blocks() -> Vec<(String, usize, String)> {
    let dir = shared_dir().join("seeds");
    let mut names: Vec<_> = std::fs::read_dir(&dir).expect("seed documents present").flatten().map(|e| e.path()).collect();
    names.sort();
    let mut blocks = Vec::new();
    for path in names {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let lines: Vec<&str> = text.lines().collect();
        let mut i = 0;
        while i < lines.len() {
            let trimmed = lines[i].trim_start();
            if let Some(lang) = trimmed.strip_prefix("```") {
                let indent = lines[i].len() - trimmed.len();
                let start = i + 1;
                let mut end = start;
                while end < lines.len() && !lines[end].trim_start().starts_with("```") {
                    end += 1;
                }
                let body: String = lines[start..end].iter().map(|l| format!("{}\n", l.get(indent..).unwrap_or(l.trim_start()))).collect();
                let first = body.lines().find(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).unwrap_or("");
                let is_dockerfile = matches!(lang.trim().to_lowercase().as_str(), "docker" | "dockerfile")
                    || (lang.trim().is_empty() && first.trim_start().to_uppercase().starts_with("FROM "));
                if is_dockerfile {
                    blocks.push((name.clone(), start + 1, body));
                }
                i = end + 1;
            } else {
                i += 1;
            }
        }
    }
    blocks
}

/// Typos in the documents and the error Docker gives for them.
const EXPECTED_ERRORS: &[(&str, &str)] = &[("# or whatever image you want to use", "FROM requires either one or three arguments")];

#[test]
fn seed_dockerfiles_read_as_docker_reads_them() {
    let blocks = dockerfile_blocks();
    assert!(blocks.len() >= 10, "found only {} Dockerfile blocks", blocks.len());
    let (mut complete, mut fragments, mut typos) = (0, 0, 0);
    for (doc, line, text) in &blocks {
        let (tree, parse_diags) = parse(text);
        let parse_errors: Vec<_> = parse_diags.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
        assert!(parse_errors.is_empty(), "{doc}:{line}: {parse_errors:?}\n{text}");
        let has_from = tree.instructions.first().is_some_and(|n| n.keyword.eq_ignore_ascii_case("from"));
        let (_, diags) = instructions::from_ast(&tree);
        let errors: Vec<String> = diags.iter().filter(|d| d.is_error()).map(|d| d.message.clone()).collect();
        if let Some((_, want)) = EXPECTED_ERRORS.iter().find(|(marker, _)| text.contains(marker)) {
            assert_eq!(errors, vec![want.to_string()], "{doc}:{line}");
            typos += 1;
        } else if has_from {
            assert!(errors.is_empty(), "{doc}:{line}: {errors:?}\n{text}");
            complete += 1;
        } else {
            fragments += 1;
        }
    }
    println!("seed Dockerfiles: {complete} complete accepted, {fragments} fragments parsed, {typos} typo(s) rejected with Docker's error");
    assert_eq!(typos, EXPECTED_ERRORS.len());
}

/// The first Dockerfile block of document `doc` (by file-name prefix) containing `marker`.
fn block(blocks: &[(String, usize, String)], doc: &str, marker: &str) -> String {
    blocks.iter().find(|(d, _, t)| d.starts_with(doc) && t.contains(marker)).map(|(_, _, t)| t.clone()).unwrap_or_else(|| panic!("no block with {marker:?} in {doc}"))
}

/// A fenced block of another language (`yml`) of document `doc` containing `marker`.
fn text_block(doc: &str, marker: &str) -> String {
    let dir = shared_dir().join("seeds");
    let path = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).find(|p| p.file_name().unwrap().to_string_lossy().starts_with(doc)).unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    text.split("```").skip(1).step_by(2).map(|b| b.split_once('\n').map(|(_, body)| body).unwrap_or("")).find(|b| b.contains(marker)).unwrap_or_else(|| panic!("no block with {marker:?} in {doc}")).to_string()
}

fn fixture(files: &[(&str, &str)]) -> String {
    files.iter().map(|(path, body)| format!("//- {path}\n{body}{}", if body.ends_with('\n') { "" } else { "\n" })).collect()
}

/// The five course documents' workflows, with their own Dockerfiles and commands (`docker`
/// spelled `berth`), from a fresh state. Files the documents only describe
/// (requirements.txt, the scripts) are small stand-ins.
#[test]
fn seed_workflows_run_end_to_end() {
    // apt over the curated index: image IDs in the snapshot must not follow the
    // archive's updates (apt::apt_resolves_over_debians_own_index_as_apt_does covers
    // Debian's own index).
    engine::shell::packages::debian_index::curated_only(true);
    let blocks = dockerfile_blocks();
    let mut report = String::new();

    // 000: a dev stage with a venv, and a share stage; the deploy script's builds and runs.
    let project = fixture(&[("Dockerfile", &block(&blocks, "000", "as dev")), ("requirements.txt", "numpy\npandas\n"), ("training.py", "import numpy, pandas\nprint('training with numpy', numpy.__version__)\n")]);
    report += &crate::sessions(
        &project,
        &[
            "berth build -q -t your-image-name --target dev .",
            "berth run -v /:/usr/src/app your-image-name:latest ls",
            "berth build -q -t your-image-name --target share .",
            "berth run --rm your-image-name:latest python training.py",
        ],
    );

    // 001: conda environments. The document's environment.yml names `myenv`; its later
    // Dockerfiles use `-n example`, which fails as it would under Docker.
    let env_file = text_block("001", "dependencies:");
    let project = fixture(&[
        ("Dockerfile", &block(&blocks, "001", "COPY run.py")),
        ("environment.yml", &env_file),
        ("run.py", "import numpy\nprint('numpy', numpy.__version__)\n"),
        ("example/Dockerfile", &block(&blocks, "001", "print('success!')\"]")),
        ("example/environment.yml", &env_file),
        ("pack/Dockerfile", &block(&blocks, "001", "conda-pack -n example")),
        ("pack/environment.yml", &env_file),
    ]);
    report += &crate::sessions(
        &project,
        &["berth build -q -t dockerized-run .", "berth run --rm dockerized-run", "berth build -q -t example example", "berth run --rm example", "berth build -q -t packed pack"],
    );

    // 002: the trainer image, assembled from the document's fragments in order.
    let fragments: Vec<&String> = blocks.iter().filter(|(d, _, _)| d.starts_with("002")).map(|(_, _, t)| t).take_while(|t| !t.contains("anibali")).collect();
    let mut train = String::new();
    for f in fragments.iter().take_while(|t| !t.contains("pytorch")) {
        if train.contains("ENTRYPOINT") {
            break;
        }
        train.push_str(f);
    }
    let project = fixture(&[
        ("train.dockerfile", &train),
        ("requirements.txt", "numpy\nrequests\n"),
        ("setup.py", "from setuptools import setup\n"),
        ("src/models/train_model.py", "import numpy\nprint('epoch 1 done')\n"),
        ("data/README", "raw data\n"),
    ]);
    report += &crate::sessions(&project, &["berth build -q -f train.dockerfile . -t trainer:latest", "berth run --name experiment1 trainer:latest", "berth ps -a --format \"{{.Names}} {{.Status}}\""]);

    // 003 has neither Dockerfiles nor commands to run.
    assert!(!blocks.iter().any(|(d, _, _)| d.starts_with("003")));

    // 004: python images, greet-app (three versions of the script, the last writing
    // through a bind mount) and img2vid. The scripts run on the real interpreter.
    let greet_line = text_block("004", "greet = lambda");
    let greet = greet_line.lines().find_map(|l| l.strip_prefix("$ echo \"")).and_then(|l| l.split_once("\" > greet.py")).map(|(code, _)| code).unwrap();
    let project = fixture(&[
        ("Dockerfile", &block(&blocks, "004", "COPY greet.py /app")),
        ("greet.py", &format!("{greet}\n")),
        ("v2/Dockerfile", &block(&blocks, "004", "COPY greet2.py")),
        ("v2/greet2.py", &text_block("004", "greet(sys.argv[1], int(sys.argv[2]))")),
        ("v3/Dockerfile", &block(&blocks, "004", "COPY greet3.py")),
        ("v3/greet3.py", &text_block("004", "def write_greeting")),
        ("img2vid/Dockerfile", &block(&blocks, "004", "opencv-python")),
        ("img2vid/img2vid.py", "import cv2\n"),
    ]);
    let host = crate::MemoryHost::new(&project);
    report += &crate::sessions_on(
        &host,
        &[
            "berth run python:3.11.9-bullseye",
            "berth run python:3.11.9-bullseye python --version",
            "berth run python:3.11.9-bullseye python greet.py",
            "berth build -q -t greet-app:1 .",
            "berth run greet-app:1",
            "berth build -q -t greet-app:2 v2",
            "berth run greet2-app \"hello earthling \" 3",
            "berth run --rm greet-app:2 \"hello earthling \" 3",
            "berth build -q -t greet-app:3 v3",
            // `$(pwd)` is the host's project directory: `/v3` here.
            "berth run --rm -v /v3:/app greet-app:3 \"hello alien \" 3 \"local_output\"",
            "berth build -q -t img2vid-app:1 img2vid",
            "berth run --rm --entrypoint python img2vid-app:1 -c \"import cv2; print(cv2.__version__)\"",
        ],
    );
    assert_eq!(String::from_utf8(host.file("v3/local_output.txt").expect("written through the bind mount")).unwrap(), "hello alien hello alien hello alien ");
    insta::assert_snapshot!(report);
}
