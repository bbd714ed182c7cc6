#!/usr/bin/env bash
# What every tool shares, from the build tree: one version (CMake's
# project(), printed as "TOOL (hvkit) X.Y.Z" and stamped in the installed
# man pages, and the same in debian/changelog and webui/package.json);
# hvctl's and hv-rdt's --help generated from their command tables match
# their man pages; the bash completions offer the table's words.
set -u
ver=$1
B=${HVKIT_BUILD:?} S=${HVKIT_SRC:?}
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
declare -A bin=([xentop-ng]=xentop-ng/xentop-ng [hvctl]=hypervisor/hvctl/hvctl
  [hv-rdt]=rdt/hv-rdt [hv-webd]=webui/hv-webd [hv-powerd]=powerd/hv-powerd)
for t in "${!bin[@]}"; do
  v=$("$B/${bin[$t]}" --version 2>&1)
  [ "$v" = "$t (hvkit) $ver" ] && ok "$t --version: $v" || bad "$t --version: '$v' (want '$t (hvkit) $ver')"
done
for m in $(find "$B" -path '*/man/*.[18]'); do
  grep -q "\"hvkit $ver\"" "$m" && ok "$(basename "$m") says hvkit $ver" || bad "$m: $(head -1 "$m")"
done
grep -q "^hvkit ($ver)" "$S/debian/changelog" && ok "debian/changelog $ver" || bad "debian/changelog is not $ver"
jq -e --arg v "$ver" '.version == $v' "$S/webui/package.json" >/dev/null \
  && ok "webui/package.json $ver" || bad "webui/package.json is not $ver"

# The man page, rendered, holds every usage line --help prints.
render() { MANWIDTH=200 man -l "$1" 2>/dev/null | sed 's/‐/-/g; s/[[:space:]]\+/ /g; s/ \.\.\./.../g'; }
norm() { sed 's/[[:space:]]\+/ /g; s/^ //; s/ $//'; }
hv_man=$(render "$S/hypervisor/hvctl/hvctl.1")
"$B/hypervisor/hvctl/hvctl" --help | sed -n '/^commands:/,/^$/p' | grep -E '^  [a-z]' | norm |
  while read -r line; do
    grep -qF -- "$line" <<<"$hv_man" || { echo "FAIL hvctl.1 lacks '$line'"; exit 1; }
  done && ok "hvctl.1 has every command line of --help" || bad "hvctl.1 and --help differ"
for o in $("$B/hypervisor/hvctl/hvctl" --help | grep -oE -- '-[a-zA-Z], --[a-z-]+' | tr -d ,); do
  grep -qF -- "$o" <<<"$hv_man" || bad "hvctl.1 lacks option $o"
done
rdt_man=$(render "$S/rdt/hv-rdt.1")
"$B/rdt/hv-rdt" --help | grep -E '^(Usage:| +hv-rdt )' | sed 's/^Usage://' | norm |
  while read -r line; do
    grep -qF -- "$line" <<<"$rdt_man" || { echo "FAIL hv-rdt.1 lacks '$line'"; exit 1; }
  done && ok "hv-rdt.1 has every usage line of --help" || bad "hv-rdt.1 and --help differ"

# Every long option --help names is in the tool's man page.
declare -A page=([xentop-ng]=xentop-ng/xentop-ng.1 [hvctl]=hypervisor/hvctl/hvctl.1
  [hv-rdt]=rdt/hv-rdt.1 [hv-webd]=webui/man/hv-webd.1 [hv-powerd]=powerd/hv-powerd.8)
for t in "${!bin[@]}"; do
  m=$(render "$S/${page[$t]}") miss=
  for o in $("$B/${bin[$t]}" --help 2>&1 | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u); do
    grep -qF -- "$o" <<<"$m" || miss+=" $o"
  done
  [ -z "$miss" ] && ok "$t: every --help option is in its man page" || bad "${page[$t]} lacks$miss"
done

# Completions: source each, ask for words.
complete_words() { # SCRIPT WORDS... (the last word is completed)
  local script=$1; shift
  ( PATH=$B/hypervisor/hvctl:$B/rdt:$B/xentop-ng:$B/webui:$B/powerd:$PATH
    source "$script"
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    fn=$(complete -p "$1" | sed 's/.*-F \([^ ]*\) .*/\1/')
    "$fn" "$1" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
    echo "${COMPREPLY[*]}" )
}
expect_words() { # WANT SCRIPT WORDS...
  local want=$1; shift
  got=$(complete_words "$@")
  for w in $want; do grep -qw -- "$w" <<<"$got" || { bad "complete '${*:2}': no $w in '$got'"; return; }; done
  ok "complete '${*:2}' -> $got"
}
C=$B/completions
expect_words "cpu freq idle energy domains" "$C/hvctl" hvctl ""
expect_words "list offline online" "$C/hvctl" hvctl -j cpu ""
expect_words "kvm xen" "$C/hvctl" hvctl --backend ""
expect_words "--backend --json --interval" "$C/hvctl" hvctl --
expect_words "show set assign reset undo" "$C/hv-rdt" hv-rdt alloc ""
expect_words "mon info alloc watch" "$C/hv-rdt" hv-rdt -b synth ""
expect_words "--batch --json --backend=" "$S/completions/xentop-ng" xentop-ng --
expect_words "cpu name" "$S/completions/xentop-ng" xentop-ng --sort ""
expect_words "--listen --dump-metrics --config" "$S/completions/hv-webd" hv-webd --
expect_words "--dry-run --check --config" "$S/completions/hv-powerd" hv-powerd --
echo "$fails failures"
[ $fails -eq 0 ]
