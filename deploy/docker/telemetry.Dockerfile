# syntax=docker/dockerfile:1.7
# The Assetto Corsa capture daemon alone: only the telemetry_capture workspace package and its
# few dependencies (pyarrow, numpy; the extras metrics and upload: prometheus-client, boto3,
# stamina), as locked in uv.lock. One container per rig or server.
#   docker build -f deploy/docker/telemetry.Dockerfile -t pitwall-telemetry .
#   docker run -p 12000:12000/udp -v capture:/data/capture pitwall-telemetry \
#     server --listen 0.0.0.0:12000 --server acserver:11000 --out /data/capture/server

# base images by digest (Renovate bumps tag and digest together: .github/renovate.json)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.0@sha256:cdc6093146eb3ff6a40107b38f008b789e050e77ad87865e381d9917da55a168

FROM ${UV_IMAGE} AS uv

FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/capture
WORKDIR /src
COPY pyproject.toml uv.lock README.md ./
COPY telemetry_capture/ telemetry_capture/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --package telemetry-capture \
        --extra metrics --extra upload

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/capture/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
RUN groupadd --system --gid 10001 capture \
    && useradd --system --uid 10001 --gid capture --no-create-home \
        --shell /usr/sbin/nologin capture \
    && mkdir -p /data/capture \
    && chown capture:capture /data/capture
COPY --from=build /opt/capture /opt/capture
USER 10001:10001
WORKDIR /data/capture
# game mode talks to the game's UDP 9996 from an ephemeral port; server mode listens for the
# acServer plugin datagrams on 12000 and sends its requests to the server's 11000.
EXPOSE 12000/udp
ENTRYPOINT ["telemetry-capture"]
CMD ["server", "--listen", "0.0.0.0:12000", "--server", "acserver:11000", \
     "--out", "/data/capture/server", "--status", "never"]
