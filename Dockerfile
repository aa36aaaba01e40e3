# syntax=docker/dockerfile:1.7
# Schools24 backend image: one image for web (gunicorn), Celery worker, Celery beat and the
# migrate job; the command picks the role (see deploy/helm/schools24).
#
#   docker build -t schools24 .
#   docker run -p 8080:8080 -e SECRET_KEY=... -e DATABASE_URL=... -e REDIS_URL=... \
#              -e MONGODB_URI=... -e ALLOWED_HOSTS=... schools24
#
# Runtime requirements only (requirements.txt): no test tools, no embedded dev servers.

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- build: wheels for everything, compiled where no wheel exists --------------------------
FROM ${PYTHON_IMAGE} AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1
# A compiler only for the odd platform where a pinned package has no wheel (the final image
# never contains it). Pinned to bookworm's version (hadolint DL3008).
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential=12.9 \
 && rm -rf /var/lib/apt/lists/*
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
COPY requirements.txt /tmp/requirements.txt
RUN pip install -r /tmp/requirements.txt

# --- runtime ---------------------------------------------------------------------------------
FROM ${PYTHON_IMAGE} AS runtime
ARG APP_UID=10001
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=schools24.settings.production \
    PORT=8080 \
    MEDIA_ROOT=/app/media
# The wheels bundle their libraries (psycopg2-binary carries libpq), so no apt packages here.
RUN groupadd --system --gid ${APP_UID} app \
 && useradd --system --uid ${APP_UID} --gid app --home-dir /app --no-create-home \
      --shell /usr/sbin/nologin app
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
# Code stays owned by root (read-only to the app user); only media/ is writable.
COPY . /app
# Static files are collected at build time; the settings need a SECRET_KEY to import, and a
# dummy one is enough (nothing is signed here). No database is touched.
RUN SECRET_KEY=collectstatic-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
 && python -m compileall -q apps schools24 \
 && mkdir -p /app/media \
 && chown app:app /app/media
# Numeric, so Kubernetes can verify runAsNonRoot without reading /etc/passwd.
USER ${APP_UID}:${APP_UID}
EXPOSE 8080
# /healthz answers without touching any backing service; the script sends an allowed Host.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python", "deploy/healthcheck.py"]
CMD ["gunicorn", "schools24.wsgi:application", "-c", "deploy/gunicorn.conf.py"]
