FROM continuumio/miniconda3 AS build
COPY environment.yml .
RUN conda env create -f environment.yml
RUN conda install -y -c conda-forge conda-pack
RUN conda-pack -n example -o /tmp/env.tar && \
    mkdir /venv && cd /venv && tar xf /tmp/env.tar && \
    rm /tmp/env.tar
RUN /venv/bin/conda-unpack

FROM debian:bookworm-slim AS runtime
COPY --from=build /venv /venv
COPY run.py .
SHELL ["/bin/bash", "-c"]
ENTRYPOINT source /venv/bin/activate && python run.py
