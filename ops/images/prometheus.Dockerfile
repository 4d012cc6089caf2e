# vmflow/prometheus: Debian's Prometheus, with vmflow's scrape configuration mounted at
# /etc/prometheus/prometheus.yml. Runs as Debian's prometheus user.
FROM vmflow/base:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus curl ca-certificates > /dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && mkdir -p /var/lib/prometheus && chown -R prometheus:prometheus /var/lib/prometheus
USER prometheus
VOLUME /var/lib/prometheus
EXPOSE 9090
HEALTHCHECK --interval=10s --timeout=5s --retries=12 CMD curl -sf http://127.0.0.1:9090/-/ready -o /dev/null
ENTRYPOINT ["prometheus", "--config.file=/etc/prometheus/prometheus.yml", "--storage.tsdb.path=/var/lib/prometheus"]
