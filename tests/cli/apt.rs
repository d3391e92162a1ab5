//! apt-get and apt over the offline Debian/Ubuntu index: lists must be fetched first,
//! dependencies and recommends are resolved, and the course's build image assembles.

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
