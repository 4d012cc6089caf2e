#!/usr/bin/env bash
# Scans what vmflow wrote for secrets: every log and test output (the services' logs in $VMFLOW_HOME,
# the modules' target/ directories), the Kafka brokers' data (so every event, report, snapshot and
# dead letter, as stored) and the JSON of the whole audit log, for private keys (their PEM headers and
# the key material of every key in $VMFLOW_PKI and $VMFLOW_HOME/auth) and bearer tokens (JWTs).
# Exits 1 naming each file (and line) that holds one, the secret itself masked. ops/test.sh runs it
# after the tests, so a secret written anywhere fails the README's test command. Key stores are not
# scanned: $VMFLOW_PKI, $VMFLOW_HOME/auth and each test host's /etc/pki ($VMFLOW_HOME/hosts/ID/pki).
#   ops/secret-scan.sh [DIR ...]     (default: $VMFLOW_HOME and every module's target/)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

dirs=("$@")
if [ ${#dirs[@]} -eq 0 ]; then
  dirs=("$VMFLOW_HOME")
  for t in "$VMFLOW_ROOT"/*/target; do [ -d "$t" ] && dirs+=("$t"); done
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# the material of every private key this machine made: each base64 line of the key files
: > "$work/keys"
for f in "$VMFLOW_PKI"/*/key.pem "$VMFLOW_PKI"/ca/ca.key "$VMFLOW_HOME"/auth/*key*.pem; do
  [ -f "$f" ] || continue
  grep -v -- '-----' "$f" | awk 'length($0) >= 40' >> "$work/keys" || true
done
keys=$(wc -l < "$work/keys")

# the audit log as an auditor reads it
if port_open 127.0.0.1 "$VMFLOW_KAFKA_PORT" 2> /dev/null; then
  vmflow_cli events --json > "$work/events.jsonl" 2> /dev/null || true
  dirs+=("$work/events.jsonl")
fi

found=0
scan() { # scan FILE-LIST-ON-STDIN
  xargs -0 -r grep -a -n -H -E -e '-----BEGIN [A-Z ]*PRIVATE KEY-----' \
    -e 'eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}' 2> /dev/null || true
  if [ "$keys" -gt 0 ]; then
    xargs -0 -r grep -a -n -H -F -f "$work/keys" 2> /dev/null < "$work/files" || true
  fi
}
find "${dirs[@]}" -type f \
  -not -path "$VMFLOW_PKI/*" -not -path "$VMFLOW_HOME/auth/*" -not -path "*/guest/*" \
  -not -path "$VMFLOW_HOME/hosts/*/pki/*" \
  -not -name '*.jar' -not -name '*.jsa' -not -name '*.class' -not -name '*.qcow2' -not -name '*.img' -not -name '*.elf' \
  -size -200M -print0 2> /dev/null > "$work/files"
hits=$(scan < "$work/files" | cut -d: -f1,2 | sort -u)
if [ -n "$hits" ]; then
  found=$(wc -l <<< "$hits")
  say "secret scan: $found place(s) hold key material or a bearer token:"
  sed 's/^/  /' <<< "$hits" >&2
  exit 1
fi
say "secret scan: no private key or bearer token in $(tr -cd '\0' < "$work/files" | wc -c) files (logs, test output, Kafka's data, the audit log); $keys key lines looked for"
