//! One row per lint rule: a Dockerfile that must trigger it and a corrected one that must
//! not. Every rule in `RULES` must have a row, so no rule goes untested.

use engine::dockerfile::lint::{lint, LintOptions, RULES};

struct Case {
    rule: &'static str,
    bad: &'static str,
    good: &'static str,
    dockerignore: Option<&'static str>,
    check: Option<&'static str>,
}

const fn case(rule: &'static str, bad: &'static str, good: &'static str) -> Case {
    Case { rule, bad, good, dockerignore: None, check: None }
}

const CASES: &[Case] = &[
    case("StageNameCasing", "FROM alpine:3.20 AS Build\n", "FROM alpine:3.20 AS build\n"),
    case("FromAsCasing", "FROM alpine:3.20 as build\n", "FROM alpine:3.20 AS build\n"),
    case("NoEmptyContinuation", "FROM alpine:3.20\nRUN echo a \\\n\n  b\n", "FROM alpine:3.20\nRUN echo a \\\n  b\n"),
    case("ConsistentInstructionCasing", "FROM alpine:3.20\nrun echo\nRUN echo\n", "FROM alpine:3.20\nRUN echo\nRUN echo\n"),
    case("DuplicateStageName", "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS a\n", "FROM alpine:3.20 AS a\nFROM alpine:3.20 AS b\n"),
    case("ReservedStageName", "FROM alpine:3.20 AS context\n", "FROM alpine:3.20 AS ctx\n"),
    case("JSONArgsRecommended", "FROM alpine:3.20\nCMD python app.py\n", "FROM alpine:3.20\nCMD [\"python\", \"app.py\"]\n"),
    case("MaintainerDeprecated", "FROM alpine:3.20\nMAINTAINER me\n", "FROM alpine:3.20\nLABEL org.opencontainers.image.authors=me\n"),
    case("UndefinedArgInFrom", "FROM python:${VERSION}\n", "ARG VERSION=3.11\nFROM python:${VERSION}\n"),
    case("WorkdirRelativePath", "FROM alpine:3.20\nWORKDIR app\n", "FROM alpine:3.20\nWORKDIR /app\nWORKDIR src\n"),
    case("UndefinedVar", "FROM scratch\nCOPY $SRC /x\n", "FROM scratch\nARG SRC=a\nCOPY $SRC /x\n"),
    case("MultipleInstructionsDisallowed", "FROM alpine:3.20\nCMD [\"a\"]\nCMD [\"b\"]\n", "FROM alpine:3.20\nCMD [\"b\"]\n"),
    case("LegacyKeyValueFormat", "FROM alpine:3.20\nENV A 1\n", "FROM alpine:3.20\nENV A=1\n"),
    case("RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM alpine:3.20\n", "FROM --platform=$BUILDPLATFORM alpine:3.20\n"),
    case("SecretsUsedInArgOrEnv", "FROM alpine:3.20\nARG DB_PASSWORD\n", "FROM alpine:3.20\nARG DB_HOST\n"),
    case("InvalidDefaultArgInFrom", "ARG IMAGE\nFROM $IMAGE\n", "ARG IMAGE=alpine:3.20\nFROM $IMAGE\n"),
    case("FromPlatformFlagConstDisallowed", "FROM --platform=linux/arm64 alpine:3.20\n", "FROM --platform=linux/arm64 alpine:3.20 AS arm64-tools\n"),
    Case { dockerignore: Some("*.csv\n"), ..case("CopyIgnoredFile", "FROM alpine:3.20\nCOPY data.csv /\n", "FROM alpine:3.20\nCOPY data.json /\n") },
    Case {
        check: Some("experimental=InvalidDefinitionDescription"),
        ..case("InvalidDefinitionDescription", "# the version\nARG VERSION=1\nFROM alpine:3.20\n", "# VERSION the version\nARG VERSION=1\nFROM alpine:3.20\n")
    },
    case("ExposeProtoCasing", "FROM alpine:3.20\nEXPOSE 53/UDP\n", "FROM alpine:3.20\nEXPOSE 53/udp\n"),
    case("ExposeInvalidFormat", "FROM alpine:3.20\nEXPOSE 8080:80\n", "FROM alpine:3.20\nEXPOSE 80\n"),
    case("UnpinnedBaseImage", "FROM python\n", "FROM python:3.11-slim\n"),
    case("AptGetMissingYes", "FROM debian:12\nRUN apt-get install --no-install-recommends curl\n", "FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n"),
    case("AptGetNoInstallRecommends", "FROM debian:12\nRUN apt-get install -y curl\n", "FROM debian:12\nRUN apt-get install -y --no-install-recommends curl\n"),
    case(
        "AptListsNotCleaned",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl\n",
        "FROM debian:12\nRUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*\n",
    ),
    case("AptInsteadOfAptGet", "FROM debian:12\nRUN apt update\n", "FROM debian:12\nRUN apt-get update\n"),
    case("PipNoCacheDir", "FROM python:3.11\nRUN pip install -r requirements.txt\n", "FROM python:3.11\nRUN pip install --no-cache-dir -r requirements.txt\n"),
    case("UnpinnedPipVersion", "FROM python:3.11\nRUN pip install --no-cache-dir numpy\n", "FROM python:3.11\nRUN pip install --no-cache-dir numpy==1.26.4\n"),
    case("UnpinnedAptVersion", "FROM debian:12\nRUN apt-get install -y curl\n", "FROM debian:12\nRUN apt-get install -y curl=7.88.1-10+deb12u5\n"),
    case("SecretValueInArgOrEnv", "FROM alpine:3.20\nENV GH=ghp_abcdefghijklmnopqrstuvwxyz\n", "FROM alpine:3.20\nENV GH=enabled\n"),
    case(
        "CopyAllBeforeInstall",
        "FROM python:3.11\nCOPY . .\nRUN pip install --no-cache-dir -r requirements.txt\n",
        "FROM python:3.11\nCOPY requirements.txt .\nRUN pip install --no-cache-dir -r requirements.txt\nCOPY . .\n",
    ),
    case("CdInRun", "FROM alpine:3.20\nRUN cd /src && make\n", "FROM alpine:3.20\nWORKDIR /src\nRUN make\n"),
    case("AddInsteadOfCopy", "FROM alpine:3.20\nADD app.py /app/\n", "FROM alpine:3.20\nADD vendor.tar.gz /opt/\n"),
    case("ShellFormCommand", "FROM alpine:3.20\nSHELL [\"/bin/bash\", \"-c\"]\nCMD python app.py\n", "FROM alpine:3.20\nSHELL [\"/bin/bash\", \"-c\"]\nCMD exec python app.py\n"),
    case("RunningAsRoot", "FROM alpine:3.20\nCMD [\"sh\"]\n", "FROM alpine:3.20\nUSER nobody\nCMD [\"sh\"]\n"),
    case(
        "CondaNoClean",
        "FROM continuumio/miniconda3:24.1.2-0\nRUN conda env create -f environment.yml\n",
        "FROM continuumio/miniconda3:24.1.2-0\nRUN conda env create -f environment.yml && conda clean --all -y\n",
    ),
];

fn fired(source: &str, c: &Case) -> bool {
    let options = LintOptions {
        dockerignore: c.dockerignore.map(str::to_string),
        check_override: c.check.map(str::to_string),
        ..LintOptions::default()
    };
    lint(source, &options).iter().any(|d| d.rule.as_deref() == Some(c.rule))
}

#[test]
fn every_rule_fires_on_its_example_and_not_on_the_fix() {
    let mut failures = Vec::new();
    for c in CASES {
        if !fired(c.bad, c) {
            failures.push(format!("{} did not fire on:\n{}", c.rule, c.bad));
        }
        if fired(c.good, c) {
            failures.push(format!("{} fired on the corrected file:\n{}", c.rule, c.good));
        }
    }
    for rule in RULES {
        if !CASES.iter().any(|c| c.rule == rule.id) {
            failures.push(format!("rule {} has no case", rule.id));
        }
        assert!(!rule.explanation.is_empty() && rule.url.starts_with("https://"), "{} lacks docs", rule.id);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
