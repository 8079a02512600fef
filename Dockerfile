# syntax=docker/dockerfile:1
# Tasklane's image: the API (every service: TASKLANE_SERVICES picks which), the worker and the
# migrations, with the web app's build served by the API. docs/operations.md, "Containers".
#
#   docker build -t tasklane:dev .
#   docker run --rm -p 8000:8000 tasklane:dev          # one process, every service, SQLite
#
# Stages: `web` builds the single-page app with Node; `build` installs the pinned Python
# packages (pip --require-hashes, as `make install` does) into a virtual environment; the final
# stage copies both onto a slim Python base and runs as an unprivileged user. No compiler, no
# Node, no test or lint tool reaches it.

ARG PYTHON_IMAGE=python:3.11.14-slim-bookworm
ARG NODE_IMAGE=node:22.21.1-bookworm-slim

FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY web/ ./
RUN npm run build

FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
RUN python -m venv /opt/tasklane
WORKDIR /src
# What running needs (requirements/main.txt), never requirements/dev.txt: each file checked
# against its sha256.
COPY requirements/pip.txt requirements/main.txt requirements/
RUN /opt/tasklane/bin/python -m pip install --require-hashes -r requirements/pip.txt \
    && /opt/tasklane/bin/python -m pip install --require-hashes -r requirements/main.txt
COPY pyproject.toml ./
COPY src/ src/
# The project itself brings nothing in (--no-deps); its byte code is compiled now, since the
# running container's file system is read-only.
RUN /opt/tasklane/bin/python -m pip install --no-deps . \
    && /opt/tasklane/bin/python -m compileall -q /opt/tasklane/lib

FROM ${PYTHON_IMAGE} AS runtime
LABEL org.opencontainers.image.title="Tasklane" \
      org.opencontainers.image.description="Task management API and web app"
# An unprivileged user with a fixed id (Kubernetes' runAsUser matches it). The slim Debian
# base already holds the time zone database (tzdata) the app's zoneinfo reads.
RUN groupadd --system --gid 10001 tasklane \
    && useradd --system --uid 10001 --gid tasklane --home-dir /var/lib/tasklane \
       --no-create-home --shell /usr/sbin/nologin tasklane \
    && install -d -o tasklane -g tasklane -m 0750 /var/lib/tasklane
COPY --from=build /opt/tasklane /opt/tasklane
COPY --from=web /src/web/dist /opt/tasklane/web
ENV PATH=/opt/tasklane/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    TASKLANE_VAR_DIR=/var/lib/tasklane \
    TASKLANE_WEB_DIST_DIR=/opt/tasklane/web \
    TASKLANE_LOG_FORMAT=json
WORKDIR /var/lib/tasklane
USER 10001:10001
EXPOSE 8000
# The process answers (/livez); whether it can serve (/readyz: the database, the drain) is for
# the load balancer or the orchestrator to ask.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/livez', timeout=2).status != 200)"]
ENTRYPOINT ["tasklane"]
# Migrations are a step of their own (`tasklane migrate`: the compose file's `migrate`
# service, the Kubernetes Job), never run by every replica as it starts.
CMD ["serve", "--host", "0.0.0.0", "--port", "8000", "--no-migrate"]
