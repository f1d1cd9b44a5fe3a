# tracebridge as a container; docker-compose.yml runs it against a ClickHouse server.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY tracebridge ./tracebridge
COPY collector ./collector
COPY ingest ./ingest
COPY query ./query
COPY dashboards ./dashboards
COPY demo ./demo
RUN pip install --no-cache-dir .
ENV TRACEBRIDGE_HOST=0.0.0.0 \
    TRACEBRIDGE_DATA_DIR=/var/lib/tracebridge
VOLUME /var/lib/tracebridge
EXPOSE 4317 4318 8080
ENTRYPOINT ["tracebridge"]
CMD ["serve"]
