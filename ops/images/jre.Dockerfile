# vmflow/jre: Debian 12 with OpenJDK 17's runtime, curl for health checks, and the unprivileged user
# (uid 10001) the services run as. FROM the base image ops/images/build.sh makes from Debian's archive.
FROM vmflow/base:bookworm
RUN apt-get update -qq \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless curl ca-certificates > /dev/null \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb \
 && useradd --system --uid 10001 --user-group --home-dir /opt/vmflow --shell /usr/sbin/nologin vmflow \
 && mkdir -p /opt/vmflow && chown vmflow:vmflow /opt/vmflow
WORKDIR /opt/vmflow
