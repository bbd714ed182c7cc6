#!/usr/bin/env bash
# The shipped alerting rules are valid and fire on the situations they name.
set -euo pipefail
S=${HVKIT_SRC:?}
command -v promtool >/dev/null || { echo "promtool not installed"; exit 77; }
promtool check rules "$S/webui/prometheus/hvkit.rules.yml"
cd "$S/tests/webui" && promtool test rules rules_test.yml
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["panels"], "no panels"; print("grafana dashboard:", len(d["panels"]), "panels")' "$S/webui/grafana/hvkit-dashboard.json"
echo "1 passed, 0 failed"
