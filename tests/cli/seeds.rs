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
