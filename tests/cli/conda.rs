//! conda in the userland: environments from environment.yml, `conda run` as a SHELL and
//! an ENTRYPOINT, the package cache and `conda clean`, and conda-pack's relocatable
//! environments in a multi-stage build.

use crate::sessions;

const ENV_FILE: &str = "//- environment.yml
name: myenv
channels:
  - conda-forge
dependencies:
  - python=3.8
  - numpy
";

#[test]
fn conda_run_as_shell_and_the_entrypoint_names_a_missing_env() {
    let project = format!(
        "{ENV_FILE}//- Dockerfile
FROM continuumio/miniconda3

WORKDIR /app

# Create the environment:
COPY environment.yml .
RUN conda env create -f environment.yml

# Make RUN commands use the new environment:
SHELL [\"conda\", \"run\", \"-n\", \"myenv\", \"/bin/bash\", \"-c\"]
RUN python -c \"import numpy\"
RUN python --version && du -sh /opt/conda/pkgs && conda clean --all && du -sh /opt/conda/pkgs

ENTRYPOINT [\"conda\", \"run\", \"-n\", \"example\", \\
            \"python\", \"-c\", \\
            \"import numpy; print('success!')\"]
"
    );
    insta::assert_snapshot!(sessions(
        &project,
        &[
            "berth build --progress=plain -t condaenv .",
            "berth run --rm condaenv",
            "berth run --rm --entrypoint conda condaenv run -n myenv python -c \"import numpy; print(numpy.__version__)\"",
            "berth run --rm --entrypoint conda condaenv list -n myenv",
            "berth run --rm --entrypoint conda condaenv env list",
        ]
    ));
}

#[test]
fn conda_pack_moves_an_environment_to_a_debian_runtime() {
    let project = "//- environment.yml
name: example
channels:
  - conda-forge
dependencies:
  - python=3.8
  - numpy
//- Dockerfile
FROM continuumio/miniconda3 AS build
COPY environment.yml .
RUN conda env create -f environment.yml
RUN conda install -c conda-forge conda-pack
RUN conda-pack -n example -o /tmp/env.tar && \\
  mkdir /venv && cd /venv && tar xf /tmp/env.tar && \\
  rm /tmp/env.tar
RUN /venv/bin/conda-unpack

FROM debian:buster AS runtime
COPY --from=build /venv /venv
SHELL [\"/bin/bash\", \"-c\"]
ENTRYPOINT source /venv/bin/activate && \\
           python -c \"import numpy; print('success!')\"
";
    insta::assert_snapshot!(sessions(project, &["berth build -q -t packed .", "berth run --rm packed", "berth run --rm --entrypoint cat packed /venv/bin/activate", "berth images packed"]));
}

#[test]
fn conda_errors_use_condas_words() {
    insta::assert_snapshot!(sessions(
        "",
        &[
            "berth run --rm continuumio/miniconda3 sh -c \"printf 'name: broken\\ndependencies:\\n  - python=3.8\\n  - numpyy\\n' > /e.yml && conda env create -f /e.yml\"",
            "berth run --rm continuumio/miniconda3 conda env create -f nothere.yml",
            "berth run --rm continuumio/miniconda3 conda activate base",
            "berth run --rm continuumio/miniconda3 conda instal numpy",
            "berth run --rm continuumio/miniconda3 conda run -n nope python",
        ]
    ));
}

#[test]
fn conda_init_writes_its_block_once_and_help_lists_the_commands() {
    let out = crate::session("", "berth run --rm continuumio/miniconda3 sh -c \"conda init bash; conda init bash; grep -c 'conda initialize' /root/.bashrc; conda --help | grep -c '^    '; conda init nosh\"");
    assert!(out.contains("modified      /root/.bashrc\n\n==> For changes to take effect, close and re-open your current shell. <==\n"), "{out}");
    assert!(out.contains("no change     /root/.bashrc\nNo action taken.\n2\n"), "the block is written once (its two marker lines): {out}");
    assert!(out.contains("conda init: error: argument SHELLS: invalid choice: 'nosh'"), "{out}");
}
