#!/usr/bin/env bash
# Debian's Apache with ModSecurity and the OWASP Core Rule Set: tests/deploy/test_waf.py runs
# the production WAF's directives (deploy/traefik/dynamic/pitwall.yml) in this engine.
# `--install` (make system-deps, CI) installs them with apt-get, as root or through sudo.
set -euo pipefail
mode=${1:---check}
needed=(/usr/sbin/apache2 /usr/lib/apache2/modules/mod_security2.so /usr/lib/apache2/modules/mod_proxy_http.so /usr/share/modsecurity-crs/rules)
missing=0
for path in "${needed[@]}"; do [ -e "$path" ] || missing=1; done
if [ "$missing" = "0" ]; then exit 0; fi
if [ "$mode" != "--install" ]; then
  echo "the WAF engine is missing: install it with  make system-deps" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != "0" ]; then
  command -v sudo >/dev/null 2>&1 || { echo "installing the WAF engine needs root or sudo" >&2; exit 1; }
  SUDO="sudo"
fi
echo "installing Apache, ModSecurity and the Core Rule Set with apt-get (make system-deps)..."
$SUDO apt-get update -qq >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
  apache2 libapache2-mod-security2 modsecurity-crs >/dev/null
