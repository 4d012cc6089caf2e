#!/bin/sh
# The images' health check: the service's /ready on its management address (0.0.0.0 asked on 127.0.0.1);
# the command line's image has no management address and is always "healthy".
m="${VMFLOW_COORDINATOR_MANAGEMENT:-${VMFLOW_AGENT_MANAGEMENT:-${VMFLOW_RELAY_MANAGEMENT:-${VMFLOW_DEFAULT_MANAGEMENT:-}}}}"
[ -n "$m" ] || exit 0
exec curl -sf "http://$(echo "$m" | sed 's/^0\.0\.0\.0:/127.0.0.1:/')/ready" -o /dev/null
