# VP-servern: VP-funktionerna och VP-fliken i Excel (Office.js) via xlwings Server.
# Bygg:  docker build -t vp-server .
# Kör:   se compose.yaml och docs/server-drift.md (licensnyckel och inloggning krävs).
#
# durable-rules kommer som hjul från wheels/ (x86_64, inget kompilatorbehov); build-essential finns
# kvar i byggsteget för andra processorer, där det byggs från källkod.

FROM python:3.11-slim-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md ./
COPY wheels ./wheels
COPY rules ./rules
COPY workbook ./workbook
COPY xl_addin ./xl_addin
RUN python -m venv /opt/vp \
    && /opt/vp/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/vp/bin/pip install --no-cache-dir --find-links wheels ".[server]"

FROM python:3.11-slim-bookworm
RUN useradd --system --create-home --uid 10001 vp
COPY --from=build /opt/vp /opt/vp
# Loggnivå INFO: vem som anropar vad, aldrig inloggningens token (DEBUG hör inte hemma i drift).
ENV PATH=/opt/vp/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    XLWINGS_ENVIRONMENT=prod \
    XLWINGS_LOG_LEVEL=INFO
USER vp
WORKDIR /home/vp
EXPOSE 8000
# /vp/health svarar 200 först när VP-funktionerna är laddade och regelboken går att läsa.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/vp/health', timeout=4).status == 200 else 1)"]
# Två arbetsprocesser; var och en har sin egen regelmotor (inget delat tillstånd).
CMD ["vp", "serve", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
