#!/usr/bin/env bash
# The Debian packages, end to end: dpkg-buildpackage from a clean clone of
# the committed tree, lintian (no error, no warning), then on this machine
# a KVM-only install (tools, hv-webd, hv-powerd: no Xen package) whose
# binaries run and link no Xen library and no libpfm, units checked by
# systemd-analyze (verify; security at most 3.0 for hv-webd and 5.0 for
# hv-powerd), hv-powerd neither enabled nor started, then the Xen plugin
# added, then dpkg -r leaving only the conffiles and dpkg -P leaving
# nothing. Packages already installed are refused (the test would replace
# them); everything it installs is purged on exit.
set -u
S=${HVKIT_SRC:?}
t0=$(date +%s)
skip() { echo "skip: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "dpkg -i needs root"
for c in git dpkg-buildpackage dh lintian systemd-analyze man fakeroot; do
  command -v "$c" >/dev/null || skip "no $c (scripts/deps/package.txt)"
done
git -C "$S" rev-parse --git-dir >/dev/null 2>&1 || skip "$S is not a git checkout"
pkgs="hvkit-tools hvkit-xen hvkit-webd hvkit-powerd"
fails=0
ok() { echo "ok   $*"; }
bad() { echo "FAIL $*"; fails=$((fails + 1)); }
# One package test at a time on a machine (dpkg has one database).
exec 9>/tmp/hvkit-package-test.lock
flock -w 600 9 || { echo "FAIL another package test holds the lock"; exit 1; }
for p in $pkgs; do
  if dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qv not-installed; then
    echo "FAIL $p is already on this machine: remove it (dpkg -P $p) first"; exit 1
  fi
done
d=$(mktemp -d /tmp/hvkit-pkg.XXXXXX)
cleanup() { dpkg -P $pkgs >/dev/null 2>&1; rm -rf "$d"; }
trap cleanup EXIT

# Build from a clean clone (what is committed, nothing of the work tree).
git clone -q --no-local "$S" "$d/hvkit" || { echo "FAIL git clone"; exit 1; }
missing=$(cd "$d/hvkit" && dpkg-checkbuilddeps 2>&1) || skip "build dependencies: $missing"
if ! (cd "$d/hvkit" && dpkg-buildpackage -us -uc -b >"$d/build.log" 2>&1); then
  tail -n 30 "$d/build.log"; echo "FAIL dpkg-buildpackage"; exit 1
fi
tb=$(date +%s); ok "dpkg-buildpackage -us -uc -b in $((tb - t0)) s"
deb() { ls "$d"/"$1"_*.deb | grep -v dbgsym; }
for p in $pkgs; do [ -f "$(deb "$p")" ] || bad "no $p .deb"; done

lint=$(lintian --tag-display-limit 0 $(for p in $pkgs; do deb "$p"; done) 2>&1 | grep -E '^[EW]: ')
[ -z "$lint" ] && ok "lintian: no errors or warnings" || bad "lintian: $lint"
for p in hvkit-tools hvkit-webd hvkit-powerd; do
  dpkg-deb -f "$(deb "$p")" Depends | grep -qiE 'xen|pfm' && bad "$p depends on Xen or libpfm" \
    || ok "$p: no Xen or libpfm dependency"
done

# KVM-only: no hvkit-xen.
dpkg -i "$(deb hvkit-tools)" "$(deb hvkit-webd)" "$(deb hvkit-powerd)" >"$d/install.log" 2>&1 \
  || { cat "$d/install.log"; bad "dpkg -i"; }
v=$(xentop-ng -V) && [[ $v == "xentop-ng (hvkit) "* ]] && ok "xentop-ng -V: $v" || bad "xentop-ng -V: $v"
out=$(hvctl cpu list 2>&1) && grep -q "kvm backend" <<<"$out" && ok "hvctl cpu list (kvm)" || bad "hvctl cpu list: $out"
hv-webd --dump-metrics -b synth | grep -q '^hv_build_info{version="[0-9.]*",backend="synth"} 1$' \
  && ok "hv-webd --dump-metrics -b synth has hv_build_info" || bad "hv-webd --dump-metrics"
man -w hv-powerd >/dev/null && ok "man -w hv-powerd: $(man -w hv-powerd)" || bad "man -w hv-powerd"
out=$(hvctl -b xen cpu list 2>&1); rc=$?
[ $rc = 1 ] && grep -q "Xen backend is not installed" <<<"$out" && ok "--backend xen: $out" || bad "--backend xen rc=$rc: $out"
for b in /usr/bin/xentop-ng /usr/bin/hvctl /usr/bin/hv-rdt /usr/sbin/hv-webd /usr/sbin/hv-powerd; do
  ldd "$b" | grep -qE 'libxen|libpfm' && bad "$b links $(ldd "$b" | grep -oE 'lib(xen|pfm)[^ ]*' | head -1)" \
    || ok "$b links no Xen library and no libpfm"
done
[ -e /etc/systemd/system/multi-user.target.wants/hv-powerd.service ] && bad "hv-powerd enabled" || ok "hv-powerd not enabled"
[ -e /etc/systemd/system/multi-user.target.wants/hv-webd.service ] && ok "hv-webd enabled" || bad "hv-webd not enabled"
dpkg-deb -e "$(deb hvkit-powerd)" "$d/pd-ctrl"
grep -q 'deb-systemd-invoke' "$d/pd-ctrl/postinst" && bad "hvkit-powerd's postinst starts hv-powerd" \
  || ok "hvkit-powerd's postinst does not start hv-powerd"
units=(/lib/systemd/system/hv-webd.service /lib/systemd/system/hv-powerd.service)
out=$(systemd-analyze verify "${units[@]}" 2>&1) && [ -z "$out" ] && ok "systemd-analyze verify: clean" || bad "verify: $out"
score() { systemd-analyze security --offline=true "$1" 2>/dev/null | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'; }
check_score() { # UNIT MAX
  local s; s=$(score "$1")
  awk -v s="$s" -v m="$2" 'BEGIN{exit !(s != "" && s <= m)}' && ok "$(basename "$1"): exposure $s <= $2" \
    || bad "$(basename "$1"): exposure '$s' > $2"
}
check_score "${units[0]}" 3.0
check_score "${units[1]}" 5.0

# With the Xen plugin: loaded (it then says why this host is no dom0).
dpkg -i "$(deb hvkit-xen)" >/dev/null 2>&1 || bad "dpkg -i hvkit-xen"
out=$(hvctl -b xen cpu list 2>&1)
grep -q "not installed" <<<"$out" && bad "with hvkit-xen: $out" || ok "with hvkit-xen the plugin loads: $out"
out=$(hvctl cpu list 2>&1) && grep -q "kvm backend" <<<"$out" && ok "auto-detection still kvm" || bad "auto: $out"
out=$(systemd-analyze verify "${units[@]}" 2>&1) && [ -z "$out" ] && ok "verify with Xen drop-ins: clean" || bad "verify: $out"

# dpkg -r: only the conffiles stay; dpkg -P: nothing.
files=$(for p in $pkgs; do dpkg -L "$p"; done | sort -u)
dpkg -r $pkgs >/dev/null 2>&1 || bad "dpkg -r"
left=$(while read -r f; do [ -f "$f" ] && echo "$f"; done <<<"$files")
[ "$left" = "$(printf '/etc/hvkit/hv-webd.conf\n/etc/hvkit/powerd.conf')" ] \
  && ok "dpkg -r left the conffiles only" || bad "dpkg -r left: $left"
dpkg -P $pkgs >/dev/null 2>&1 || bad "dpkg -P"
[ ! -e /etc/hvkit ] && ok "dpkg -P removed /etc/hvkit" || bad "/etc/hvkit after purge: $(ls /etc/hvkit)"
echo "package test took $(( $(date +%s) - t0 )) s"
echo "$fails failures"
[ $fails -eq 0 ]
