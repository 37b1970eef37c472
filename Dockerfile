# One image for every Shunfuri service (api, workers, beat, bank simulator, flower, locust).
# Dependencies come from uv.lock exactly (`--locked` fails if pyproject.toml disagrees);
# uv is the version the Makefile pins.
FROM python:3.12-slim AS build
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv
WORKDIR /app
# Dependencies first (cached until the lock changes), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --all-extras --no-install-project
COPY shunfuri ./shunfuri
COPY api ./api
COPY workers ./workers
COPY loadtests ./loadtests
COPY simulators ./simulators
RUN uv sync --locked --no-dev --all-extras --no-editable

FROM python:3.12-slim
RUN useradd --system --create-home --uid 10001 shunfuri
WORKDIR /app
COPY --from=build --chown=shunfuri:shunfuri /app /app
ENV PATH=/app/.venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 \
    SHUNFURI_DATA_DIR=/tmp/shunfuri
USER shunfuri
EXPOSE 8000 8081 5555 8089
CMD ["uvicorn", "api.app:create_app", "--factory", "--host", "0.0.0.0", "--port", "8000"]
