# Tablemates API image: uv-locked dependencies, non-root, no build tools in the final stage.
FROM python:3.11-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PROJECT_ENVIRONMENT=/venv
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 tablemates
COPY --from=build /venv /venv
WORKDIR /app
COPY --chown=tablemates:tablemates . .
ENV PATH="/venv/bin:$PATH" PYTHONUNBUFFERED=1 ENV=production LOG_FORMAT=json \
    MEDIA_ROOT=/app/data/media PORT=8000 WORKERS=2
USER tablemates
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,os; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/healthz')"
ENTRYPOINT ["/app/deploy/entrypoint.sh"]
CMD ["serve"]
