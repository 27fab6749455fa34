#!/bin/sh
# One image, one command per role (the Kubernetes manifests pass the role as the argument).
set -eu
role="${1:-web}"
shift || true
case "$role" in
  web)       exec uvicorn studio.asgi:application --host 0.0.0.0 --port 8000 --proxy-headers \
               --forwarded-allow-ips='*' --timeout-graceful-shutdown 30 "$@" ;;
  worker)    exec celery -A studio worker -Q platform -c "${CELERY_CONCURRENCY:-4}" "$@" ;;
  intake)    exec celery -A studio worker -Q render.results -P solo "$@" ;;
  scheduler) exec python manage.py render_scheduler "$@" ;;
  migrate)   exec python manage.py migrate --database owner --no-input "$@" ;;
  health)    exec python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)" ;;
  *)         exec "$role" "$@" ;;
esac
