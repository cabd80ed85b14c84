#!/usr/bin/env bash
# testssl.sh against the gateway's HTTPS listener.
#
#   benchmarks/tls-scan.sh                 # starts its own gateway (fresh CA + certificate), scans it
#   benchmarks/tls-scan.sh https://host:port [ca.pem]   # scans a running listener instead
#
# Needs `testssl` (Debian: apt-get install -y testssl.sh) and `openssl`. Prints testssl's report,
# then a summary: the vulnerability checks (-U) with their verdicts, the protocols and cipher
# classes offered, and every other finding rated MEDIUM or worse. Exits non-zero when a
# vulnerability check or a protocol / cipher finding is rated MEDIUM, HIGH or CRITICAL; other
# findings (certificate details, HTTP security headers of the upstream's answer) are listed only. The generated test CA is passed with --add-ca so that trust-chain
# findings reflect the listener's configuration, not the throwaway CA.
set -euo pipefail

cd "$(dirname "$0")/.."
TESTSSL=$(command -v testssl || command -v testssl.sh || true)
if [[ -z "$TESTSSL" ]]; then
  echo "testssl not found (Debian: apt-get update && apt-get install -y testssl.sh)" >&2
  exit 2
fi

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

wait_ready() { # <file> — prints the READY line's fields once the process wrote it
  for _ in $(seq 1 300); do
    if grep -q '^READY ' "$1" 2>/dev/null; then grep '^READY ' "$1" | head -1 | cut -d' ' -f2-; return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for $1" >&2
  return 1
}

if [[ $# -ge 1 ]]; then
  target=$1
  ca=${2:-}
else
  # A throwaway CA and a server certificate for localhost / 127.0.0.1.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 30 -sha256 \
    -keyout "$work/ca-key.pem" -out "$work/ca.pem" -subj "/O=Portcullis scan/CN=Portcullis scan CA" \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -sha256 \
    -keyout "$work/key.pem" -out "$work/server.csr" -subj "/O=Portcullis scan/CN=localhost" 2>/dev/null
  # A year of validity and a CRL distribution point, as a real CA would issue: without them testssl
  # rates the (throwaway) certificate, not the listener.
  printf 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=DNS:localhost,IP:127.0.0.1\ncrlDistributionPoints=URI:http://127.0.0.1/portcullis-scan-ca.crl\n' >"$work/ext.cnf"
  openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca-key.pem" -CAcreateserial \
    -days 365 -sha256 -extfile "$work/ext.cnf" -out "$work/cert.pem" 2>/dev/null
  ca=$work/ca.pem

  node --import tsx benchmarks/targets/upstream.ts >"$work/upstream.out" &
  pids+=($!)
  upstream=$(wait_ready "$work/upstream.out")
  # The benchmark's gateway: plain HTTP + HTTPS (h2, http/1.1), ip-filter + request-size on the route.
  node --import tsx benchmarks/tls.bench.ts serve "$upstream" "$work/cert.pem" "$work/key.pem" >"$work/gateway.out" &
  pids+=($!)
  read -r _plain target < <(wait_ready "$work/gateway.out")
fi

echo "Scanning $target with $("$TESTSSL" --version 2>/dev/null | grep -o 'testssl *[0-9.]*' | head -1)"
args=(--quiet --color 0 --warnings off --sneaky --jsonfile "$work/scan.json")
[[ -n "$ca" ]] && args+=(--add-ca "$ca")
"$TESTSSL" "${args[@]}" "$target" || true

node - "$work/scan.json" <<'EOF'
const findings = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'))
const VULNS = ['heartbleed', 'CCS', 'ticketbleed', 'ROBOT', 'secure_renego', 'secure_client_renego', 'CRIME_TLS', 'BREACH', 'POODLE_SSL',
  'fallback_SCSV', 'SWEET32', 'FREAK', 'DROWN', 'LOGJAM', 'LOGJAM-common_primes', 'BEAST', 'BEAST_CBC_TLS1', 'LUCKY13', 'winshock', 'RC4']
const BAD = new Set(['MEDIUM', 'HIGH', 'CRITICAL'])
console.log('\n== Summary: vulnerability checks ==')
for (const f of findings.filter((f) => VULNS.includes(f.id))) console.log(`${f.id.padEnd(22)} ${f.severity.padEnd(8)} ${f.finding}`)
console.log('\n== Summary: protocols and ciphers offered ==')
const TRANSPORT = /^(SSLv2|SSLv3|TLS1|TLS1_1|TLS1_2|TLS1_3|ALPN_HTTP2|ALPN|NPN|cipherlist_.*|P?FS|P?FS_ciphers|FS_ECDHE_curves|cipher_order|HSTS.*)$/
const transport = findings.filter((f) => TRANSPORT.test(f.id))
for (const f of transport) console.log(`${f.id.padEnd(22)} ${f.severity.padEnd(8)} ${f.finding}`)
const failing = findings.filter((f) => (VULNS.includes(f.id) || TRANSPORT.test(f.id)) && BAD.has(f.severity))
const other = findings.filter((f) => !failing.includes(f) && BAD.has(f.severity))
console.log(`\n== Vulnerability / protocol / cipher findings rated MEDIUM or worse: ${failing.length} ==`)
for (const f of failing) console.log(`${f.id.padEnd(22)} ${f.severity.padEnd(8)} ${f.finding}`)
console.log(`\n== Other findings rated MEDIUM or worse (listed, not failing): ${other.length} ==`)
for (const f of other) console.log(`${f.id.padEnd(22)} ${f.severity.padEnd(8)} ${f.finding}`)
process.exit(failing.length > 0 ? 1 : 0)
EOF
