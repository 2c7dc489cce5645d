#!/usr/bin/env bash
# Debian packages the test suite drives for real: DNS clients, resolvers and servers, an ACME
# CA and clients, Postgres, Chromium, and the network tools of the field lab.
set -euo pipefail
packages=(
  bind9-dnsutils knot-dnsutils        # dig (+https, +http-plain), kdig
  unbound dnsmasq-base bind9 knot-resolver # resolvers in front of the built-in server
  knot nsd dnsperf                    # authoritative peers, secondaries, benchmark
  knot-dnssecutils                    # kzonecheck: the benchmark checks its zone file
  pebble lego certbot                 # ACME test CA and clients
  postgresql                          # the Postgres store
  chromium                            # browser tests through playwright-core
  iproute2 nftables openssl procps    # the field lab's namespaces, NAT, certificates
  curl                                # the field lab's checks from inside its namespaces
  tayga                               # the field lab's NAT64 for its IPv6-only phone
  wrk util-linux                      # HTTP load for npm run bench; taskset
  nghttp2-client dnsdist              # bench:doh: h2load, and dnsdist's DoH as a peer
  ddclient inadyn                     # dyndns2 clients against /nic/update
  prometheus                          # promtool check metrics on /metrics
)
if [ "$(id -u)" -ne 0 ]; then sudo=sudo; else sudo=; fi
export DEBIAN_FRONTEND=noninteractive
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# Debian starts some of these as system services; the tests start their own on loopback.
for s in unbound bind9 named knot nsd dnsdist kresd@1 postgresql ddclient inadyn prometheus tayga; do $sudo systemctl disable --now "$s" >/dev/null 2>&1 || true; done
