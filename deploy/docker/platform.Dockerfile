# syntax=docker/dockerfile:1.7
# The platform image: ASGI server, platform worker, results intake, scheduler and
# migrations are commands of this one image (see entrypoint-platform.sh).
# Build from the repository root:
#   docker build -f deploy/docker/platform.Dockerfile -t backlot/platform:<version> .
# Not built in CI here (no container daemon on the build machines): see deploy/README.md.
ARG PYTHON_IMAGE=python:3.11.11-slim-bookworm
ARG UV_VERSION=0.5.11

FROM ${PYTHON_IMAGE} AS build
ARG UV_VERSION
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv && /opt/venv/bin/pip install "uv==${UV_VERSION}"
WORKDIR /src
COPY pyproject.toml README.md ./
COPY apps ./apps
COPY studio ./studio
COPY gpu_workers ./gpu_workers
COPY templates ./templates
COPY static ./static
COPY manage.py ./
# Wheels only (no compilers in either stage); versions bounded by pyproject.toml.
RUN /opt/venv/bin/uv pip install --python /opt/venv/bin/python --only-binary=:all: . \
 && BACKLOT_ENV=build SECRET_KEY=build-only DATABASE_URL=sqlite:////tmp/none \
    /opt/venv/bin/python manage.py collectstatic --no-input -v 0

FROM ${PYTHON_IMAGE}
ARG BACKLOT_VERSION=dev
LABEL org.opencontainers.image.title="backlot-platform" \
      org.opencontainers.image.version="${BACKLOT_VERSION}"
# Runtime libraries only; ffmpeg-free (PyAV wheels bundle their codecs).
RUN groupadd --gid 10001 backlot && useradd --uid 10001 --gid 10001 --no-create-home backlot
COPY --from=build /opt/venv /opt/venv
COPY --from=build /src /app
COPY deploy/docker/entrypoint-platform.sh /usr/local/bin/backlot
ENV PATH=/opt/venv/bin:$PATH PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    BACKLOT_CODE_VERSION=${BACKLOT_VERSION}
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD ["backlot", "health"]
ENTRYPOINT ["backlot"]
CMD ["web"]
