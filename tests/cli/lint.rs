//! `berth lint` and `berth debug` sessions.

use crate::session;

#[test]
fn unknown_instruction_with_hint() {
    insta::assert_snapshot!(session("//- Dockerfile\nFROM python:3.11-slim\nWORKDIR /app\nCOPY . .\nUSER app\nRUNN pip install --no-cache-dir flask==3.0.3\nCMD [\"python\", \"app.py\"]\n", "berth lint"));
}

#[test]
fn student_mistakes() {
    insta::assert_snapshot!(session(
        "//- app/Dockerfile\nFROM python\nCOPY . .\nRUN apt-get update && apt-get install gcc\nRUN pip install pandas\nENV API_TOKEN=abc\nCMD python train.py\n",
        "berth lint app/Dockerfile"
    ));
}

#[test]
fn json_format() {
    insta::assert_snapshot!(session("//- Dockerfile\nFROM scratch as base\nMAINTAINER me\n", "berth lint --format json Dockerfile"));
}

#[test]
fn check_directive_and_override() {
    let fixture = "//- Dockerfile\n# check=skip=all\nFROM scratch as base\n";
    insta::assert_snapshot!(session(fixture, "berth lint"));
    insta::assert_snapshot!(session(fixture, "berth lint --check=error=true"));
}

#[test]
fn dockerignore_next_to_the_dockerfile() {
    insta::assert_snapshot!(session(
        "//- ctx/Dockerfile\nFROM scratch\nCOPY model.pt /\n//- ctx/.dockerignore\n*.pt\n",
        "berth lint ctx/Dockerfile"
    ));
}

#[test]
fn missing_file_uses_dockers_wording() {
    insta::assert_snapshot!(session("", "berth lint trainer.dockerfile"), @r"
    $ berth lint trainer.dockerfile
    exit: 1
    --- stdout
    --- stderr
    failed to read dockerfile: open trainer.dockerfile: no such file or directory
    ");
}

#[test]
fn debug_parse_prints_buildkits_dump() {
    insta::assert_snapshot!(session(
        "//- Dockerfile\nFROM alpine:3.20 AS base\nCOPY --chown=1:1 a b\nONBUILD RUN echo hi\nENV A=1 B=\"x y\"\nCMD [\"sh\"]\n",
        "berth debug parse --buildkit Dockerfile"
    ));
}

#[test]
fn debug_stages_shows_target_and_skipped_stages() {
    insta::assert_snapshot!(session(
        "//- Dockerfile\nARG PY=3.8\nFROM python:${PY}-slim-buster as dev\nRUN python -m venv /opt/venv\nFROM dev as share\nCOPY --from=dev /opt/venv /opt/venv\nFROM alpine:3.20 AS unrelated\nRUN echo never\n",
        "berth debug stages --target share --build-arg PY=3.11 Dockerfile"
    ));
}

#[test]
fn explain_and_unknown_rule() {
    insta::assert_snapshot!(session("", "berth lint --explain PipNoCacheDir"));
    insta::assert_snapshot!(session("", "berth lint --explain PipNoCache"));
}
