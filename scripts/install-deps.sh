#!/usr/bin/env bash
# Install every Debian package hvkit needs (idempotent, non-interactive).
# Package lists live in scripts/deps/*.txt, one per area; npm assets are
# installed by the areas that need them (webui/).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/retry.sh
. "$here/lib/retry.sh"
# A line "pkg?cmd" means: install pkg unless the command cmd already exists
# (Node.js and npm may come from outside Debian, as on the CI image, where
# Debian's npm package would conflict with them).
pkgs=$(cat "$here"/deps/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | sed '/^$/d' | sort -u)
missing=()
for entry in $pkgs; do
  p=${entry%%\?*}
  if [ "$p" != "$entry" ] && command -v "${entry#*\?}" >/dev/null 2>&1; then
    continue
  fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' && continue
  case " ${missing[*]} " in *" $p "*) ;; *) missing+=("$p") ;; esac
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  # Keep service starts (prometheus, xen) out of the way on the test machine.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  # A busy package manager or a failed download is retried (bounded)
  # before it counts as a failure.
  hv_apt update -qq
  hv_apt install -y -qq --no-install-recommends "${missing[@]}"
else
  echo "install-deps: all Debian packages present"
fi
for hook in "$here"/deps/*.sh; do
  [ -e "$hook" ] && bash "$hook"
done
exit 0
