# vmflow/coordinator, vmflow/agent, vmflow/relay, vmflow/cli: one service's jar and its libraries (the
# project's build), on vmflow/jre. ops/images/build.sh passes the module, main class and user.
FROM vmflow/jre:17
ARG MAIN
ARG RUN_AS=vmflow
ARG PACKAGES=""
ARG DEFAULT_MANAGEMENT=""
RUN if [ -n "$PACKAGES" ]; then apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PACKAGES > /dev/null \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb; fi
COPY lib/ /opt/vmflow/lib/
COPY app.jar ready.sh /opt/vmflow/
ENV VMFLOW_MAIN=$MAIN VMFLOW_DEFAULT_MANAGEMENT=$DEFAULT_MANAGEMENT JAVA_OPTS=""
USER $RUN_AS
HEALTHCHECK --interval=5s --timeout=5s --start-period=10s --retries=24 CMD /opt/vmflow/ready.sh
ENTRYPOINT ["sh", "-c", "exec java $JAVA_OPTS -cp '/opt/vmflow/app.jar:/opt/vmflow/lib/*' \"$VMFLOW_MAIN\" \"$@\"", "vmflow"]
