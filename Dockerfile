# The Custodes image used by docker-compose.yml (processors, simulators, ui).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml README.md ./
COPY custodes ./custodes
COPY producers ./producers
COPY processors ./processors
COPY store ./store
COPY oversight_ui ./oversight_ui
RUN pip install . && useradd --create-home --uid 1000 custodes

USER custodes
WORKDIR /home/custodes
CMD ["custodes", "--help"]
