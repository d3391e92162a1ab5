//! apt-get and apt: lists must be fetched first, dependencies and recommends are
//! resolved, and the course's build image assembles (snapshots, over the curated
//! index); Debian's own index (scripts/debian-index) resolves as apt does, checked
//! against the generated files themselves rather than against versions that follow the
//! archive.

use crate::sessions;

const TRAINER: &str = "//- train.dockerfile
# Base image
FROM python:3.7-slim

# install python
RUN apt update && \\
    apt install --no-install-recommends -y build-essential gcc && \\
    apt clean && rm -rf /var/lib/apt/lists/*

COPY requirements.txt requirements.txt
COPY setup.py setup.py
COPY src/ src/
COPY data/ data/

WORKDIR /
RUN pip install -r requirements.txt --no-cache-dir

ENTRYPOINT [\"python\", \"-u\", \"src/models/train_model.py\"]
//- requirements.txt
numpy
requests
//- setup.py
from setuptools import setup
//- src/models/train_model.py
print('training')
//- data/README
raw data goes here
";

#[test]
fn the_course_trainer_image_builds() {
    // The curated index: a snapshot must not follow the archive's updates.
    engine::shell::packages::debian_index::curated_only(true);
    insta::assert_snapshot!(sessions(
        TRAINER,
        &[
            "berth build -f train.dockerfile . -t trainer:latest",
            "berth images",
            "berth run --rm --entrypoint sh trainer:latest -c \"ls /var/lib/apt/lists; ls /root/.cache 2>&1; grep -A1 '^Package: gcc$' /var/lib/dpkg/status; pip list | grep -c .\"",
        ]
    ));
}

#[test]
fn apt_needs_lists_root_and_a_yes() {
    engine::shell::packages::debian_index::curated_only(true);
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth run --rm debian:bookworm-slim apt-get install -y curl",
            "berth run --rm --user 1000 debian:bookworm-slim apt-get update",
            "berth run --rm debian:bookworm-slim sh -c \"apt-get update -qq && apt-get install git </dev/null; echo exit $?\"",
            "berth run --rm debian:bookworm-slim sh -c \"apt-get update -qq && apt-get install -y -qq jq >/dev/null && jq --version; dpkg -s jq 2>&1 | head -3; apt-get install -y jq | tail -2\"",
            "berth run --rm ubuntu:22.04 sh -c \"apt-get update | head -2; apt-get instal vim\"",
            "berth run --rm debian:bookworm-slim sh -c \"apt-cache show gcc; apt-get update -qq; apt-cache show gcc; apt-cache policy gcc\"",
        ]
    ));
}

#[test]
fn apk_needs_an_index_and_replaces_busybox_links() {
    insta::assert_snapshot!(sessions(
        "//- Dockerfile\nFROM alpine:3.20\nRUN apk add --no-cache curl patch\nRUN apk update && apk add --virtual .build-deps make && apk del .build-deps make\n",
        &[
            "berth run --rm alpine:3.20 apk add curl",
            "berth run --rm alpine:3.20 apk add --no-cache curll",
            "berth run --rm --user 1000 alpine:3.20 apk add --no-cache curl",
            "berth build -q -t tools .",
            "berth run --rm tools sh -c \"ls -l /usr/bin/patch; cat /etc/apk/world; ls /var/cache/apk | wc -l\"",
        ]
    ));
}

/// The generated index, as `scripts/debian-index` leaves it (`./scripts/test` generates
/// it before the tests).
fn debian_index() -> std::path::PathBuf {
    engine::shell::packages::debian_index::native_dir().expect("the Debian package index has not been generated: run scripts/debian-index")
}

/// A package's line in the generated index: its fields as the generator wrote them.
fn index_fields(release: &str, name: &str) -> Vec<String> {
    let shard = debian_index().join(format!("{release}/{:02}.tsv", engine::shell::packages::debian_index::shard_of(name)));
    let text = std::fs::read_to_string(&shard).unwrap();
    text.lines().find(|l| l.split('\t').next() == Some(name)).unwrap_or_else(|| panic!("{name} is not in {}", shard.display())).split('\t').map(str::to_string).collect()
}

#[test]
fn apt_resolves_over_debians_own_index_as_apt_does() {
    let base: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/debian-base.json")).unwrap()).unwrap();
    let base_count = base["releases"]["bookworm"]["packages"].as_object().unwrap().len();
    let curl = index_fields("bookworm", "curl");
    let out = crate::sessions_live(
        "",
        &[
            "berth run --rm debian:bookworm-slim sh -c \"dpkg -l | grep -c ^ii; apt-get update -qq; apt-get install -y curl; apt-cache policy curl | sed -n 3p; dpkg -s curl | grep ^Version; command -v curl\"",
            "berth run --rm debian:bookworm-slim sh -c \"apt-get update -qq; apt-get install -y awk; apt-get install -y curl=0.1; apt-get install -y mail-transport-agent; apt-get install -y nosuch-package\"",
            // Packages the curated index lacked, from real Dockerfiles.
            "berth run --rm debian:bookworm-slim sh -c \"apt-get update -qq && apt-get install -y -qq bzip2 tzdata netbase libx11-6 gnupg software-properties-common > /dev/null && dpkg -s software-properties-common | grep ^Status\"",
            "berth run --rm python:3.11-slim sh -c \"apt-get update -qq && apt-get install -y --no-install-recommends -qq git > /dev/null; git --version; dpkg -s git | grep -c ^Version\"",
        ],
    );
    // The image's dpkg database is the real image's package set.
    assert!(out.contains(&format!("--- stdout\n{base_count}\n")), "{out}");
    // curl's dependencies: what the image lacks, not what it has (libc6, zlib1g).
    let extra = out.split("The following additional packages will be installed:\n").nth(1).and_then(|s| s.split("The following NEW").next()).unwrap_or_else(|| panic!("{out}"));
    let extra: Vec<&str> = extra.split_whitespace().collect();
    for want in ["libcurl4", "ca-certificates", "libssl3", "openssl"] {
        assert!(extra.contains(&want), "{want} in {extra:?}");
    }
    for have in ["libc6", "zlib1g", "libzstd1"] {
        assert!(!extra.contains(&have), "{have} is in the image already: {extra:?}");
    }
    assert!(out.contains(&format!("0 upgraded, {} newly installed", extra.len() + 1)), "{out}");
    // Versions, and the program, are the archive's.
    assert!(out.contains(&format!("  Candidate: {}\nVersion: {}\n/usr/bin/curl\n", curl[1], curl[1])), "{out}");
    // Virtual packages, versions, and names not in the archive.
    assert!(out.contains("Note, selecting 'mawk' instead of 'awk'\nmawk is already the newest version"), "{out}");
    assert!(out.contains("E: Version '0.1' for 'curl' was not found"), "{out}");
    assert!(out.contains("Package mail-transport-agent is a virtual package provided by:\n") && out.contains("E: Package 'mail-transport-agent' has no installation candidate"), "{out}");
    assert!(out.contains("E: Unable to locate package nosuch-package"), "{out}");
    assert!(out.contains("Status: install ok installed\n"), "{out}");
    assert!(out.contains("git version 2.43.0\n1\n"), "{out}");
}

#[test]
fn apk_add_with_a_repository_it_cannot_reach_says_so_and_goes_on() {
    let out = crate::session("", "berth run --rm alpine:3.20 sh -c \"apk add --no-cache -X http://dl-cdn.alpinelinux.org/alpine/edge/testing curl >/dev/null; echo status $?; command -v curl\"");
    assert!(out.contains("WARNING: fetching http://dl-cdn.alpinelinux.org/alpine/edge/testing/x86_64/APKINDEX.tar.gz: temporary error (try again later)"), "{out}");
    assert!(out.contains("status 0\n/usr/bin/curl\n"), "{out}");
}
