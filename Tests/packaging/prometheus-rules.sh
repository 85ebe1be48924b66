#!/usr/bin/env bash
# The fleet kit in deploy/prometheus: the alert rules pass `promtool check rules` and their unit
# tests (`promtool test rules`), every dashboard query is valid PromQL (checked by promtool as
# recording rules, Grafana's variables filled in), and rules and dashboard use only the metric
# names jpkid exports.
set -euo pipefail
cd "$(dirname "$0")/../.."
command -v promtool >/dev/null || { echo "promtool is missing (Debian package prometheus)"; exit 2; }
dir=deploy/prometheus
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

promtool check rules "$dir/jpkid-alerts.yml"
(cd "$dir" && promtool test rules jpkid-alerts.test.yml)

/usr/bin/python3 - "$dir" "$work/dashboard-rules.yml" <<'PY'
import json, re, sys
directory, out = sys.argv[1], sys.argv[2]
# The names jpkid exports (docs/operations.md "Fleet"; the metrics are made in Sources/JPKIDaemon/Metrics).
counters = ["cards_inserted_total", "card_reads_total", "apdus_sent_total", "pin_verifications_total",
            "pin_blocks_total", "signatures_total", "pcsc_outages_total", "http_requests_total",
            "power_cycle_checks_total", "connections_refused_total",
            "genuine_checks_total"]
gauges = ["readers_present", "pcsc_available", "event_streams_open", "readers_unsafe"]
histograms = ["card_read_duration_seconds", "http_request_duration_seconds"]
known = {"jpkid_" + n for n in counters + gauges}
known |= {f"jpkid_{n}_{s}" for n in histograms for s in ("bucket", "sum", "count")}
dashboard = json.load(open(f"{directory}/jpkid-dashboard.json"))
exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
assert exprs, "the dashboard has no queries"
rules = open(f"{directory}/jpkid-alerts.yml").read()
used = set(re.findall(r"\bjpkid_[a-z_]+", "\n".join(exprs))) | set(re.findall(r"\bjpkid_[a-z_]+", rules))
unknown = sorted(used - known)
assert not unknown, f"metric names jpkid does not export: {unknown}"
missing = sorted(n for n in known if not n.endswith(("_sum", "_count")) and n not in "\n".join(exprs))
assert not missing, f"metrics without a dashboard panel: {missing}"
lines = ["groups:", "  - name: dashboard", "    rules:"]
for i, expr in enumerate(exprs):
    expr = expr.replace("$__rate_interval", "5m").replace("$instance", ".*")
    assert "$" not in expr, f"an unknown Grafana variable in: {expr}"
    lines += [f"      - record: dashboard:query{i}", f"        expr: {json.dumps(expr)}"]
open(out, "w").write("\n".join(lines) + "\n")
print(f"dashboard: {len(dashboard['panels'])} panels, {len(exprs)} queries, {len(used)} metric names")
PY
promtool check rules "$work/dashboard-rules.yml"
echo "prometheus-rules: ok"
