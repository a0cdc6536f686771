# syntax=docker/dockerfile:1.7
# Pitwall's Python images: the locked environment is built once, then three runtime targets:
#   pipelines   Kedro pipelines + Apache Airflow (scheduler, dag-processor, api-server, worker)
#   api         the read API (uvicorn, api.app:create_app)
#   dashboards  the marimo apps of notebooks/ (marimo run)
# Build from the repository root, e.g.
#   docker build -f deploy/docker/pitwall.Dockerfile --target api -t pitwall-api .

# base images by digest (Renovate bumps tag and digest together: .github/renovate.json)
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:a36c24f9cbdf4fd0f52d67f0823eeac19c2028c637cecc392d97f980d4fec56b
ARG UV_IMAGE=ghcr.io/astral-sh/uv:0.13.0@sha256:cdc6093146eb3ff6a40107b38f008b789e050e77ad87865e381d9917da55a168

FROM ${UV_IMAGE} AS uv

# ---- build: the project's environment, exactly as uv.lock says ------------------------------
FROM ${PYTHON_IMAGE} AS build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first: this layer is rebuilt only when the lockfile changes.
COPY pyproject.toml uv.lock README.md ./
COPY telemetry_capture/pyproject.toml telemetry_capture/pyproject.toml
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project --no-install-workspace --extra dashboards
COPY src/ src/
COPY api/ api/
COPY telemetry_capture/ telemetry_capture/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable --extra dashboards

# ---- Apache Airflow, in its own environment (its pins never touch the project's lock) -------
FROM ${PYTHON_IMAGE} AS airflow-build
COPY --from=uv /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never
COPY deploy/airflow/requirements.txt /tmp/airflow-requirements.txt
RUN --mount=type=cache,target=/root/.cache/uv \
    uv venv /opt/airflow/venv \
    && uv pip install --python /opt/airflow/venv/bin/python --require-hashes \
        -r /tmp/airflow-requirements.txt

# ---- runtime: no build tools, the installed project, conf/base, a non-root user -------------
FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/app/.venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PITWALL_HOME=/app
RUN groupadd --system --gid 10001 pitwall \
    && useradd --system --uid 10001 --gid pitwall --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin pitwall
WORKDIR /app
COPY --from=build /app/.venv /app/.venv
# Kedro finds the project by its pyproject.toml; secrets never come in conf/local: env files.
COPY pyproject.toml ./
COPY conf/base/ conf/base/
COPY conf/production/ conf/production/
RUN mkdir -p conf/local data \
    && chown pitwall:pitwall conf/local data
USER 10001:10001

# ---- the read API ---------------------------------------------------------------------------
FROM runtime AS api
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:8000/health', timeout=4)"]
CMD ["uvicorn", "api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "2", "--proxy-headers", "--forwarded-allow-ips", "*"]

# ---- the dashboards (authentication is Traefik's forward auth in front) ---------------------
FROM runtime AS dashboards
COPY notebooks/ notebooks/
EXPOSE 2718
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request as u; u.urlopen('http://127.0.0.1:2718/', timeout=4)"]
CMD ["marimo", "run", "notebooks", "--host", "0.0.0.0", "--port", "2718", "--headless", \
     "--no-token", "--no-sandbox"]

# ---- the pipelines: `kedro run`, and every Airflow component (scheduler, worker, ...) -------
FROM runtime AS pipelines
USER 0
# Debian's Chromium for the scrapy-playwright spiders (pitwall.scraping reads PITWALL_CHROMIUM).
RUN apt-get update \
    && apt-get install -y --no-install-recommends chromium \
    && rm -rf /var/lib/apt/lists/*
COPY --from=airflow-build /opt/airflow/venv /opt/airflow/venv
COPY deploy/airflow/dags/ /opt/airflow/dags/
COPY deploy/airflow/plugins/ /opt/airflow/plugins/
COPY deploy/postgres/init_roles.py deploy/postgres/init_roles.py
COPY deploy/s3/init_buckets.py deploy/s3/init_buckets.py
# local landing folders, owned by the user, for PITWALL_*_LANDING set to a folder (compose and
# the chart point them at the bucket)
RUN mkdir -p /opt/airflow/logs /data/landing/scraper /data/landing/assetto \
    && chown -R pitwall:pitwall /opt/airflow/logs /data
# `airflow` comes from its own environment; DAG tasks run the project's `kedro` by full path.
ENV PATH=/opt/airflow/venv/bin:/app/.venv/bin:$PATH \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/airflow/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/airflow/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    PITWALL_KEDRO=/app/.venv/bin/kedro \
    PITWALL_CHROMIUM=/usr/bin/chromium
USER 10001:10001
CMD ["kedro", "run"]
