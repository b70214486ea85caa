#!/bin/sh
# measure.sh: start-up time to a usable window and idle RSS of agentdesk
# beside a bare one-label Fyne window (tools/barewindow), both built the same
# way and run under Xvfb (software rendering). Usage: tools/measure.sh [RUNS]
# Prints one line per run and the medians. Needs Xvfb, x11-utils.
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-5}
. "$repo/tools/xvfb.sh"
bin=$(mktemp -d)
trap 'xvfb_stop; rm -rf "$bin"' EXIT
echo "building…" >&2
(cd "$repo" && go build -o "$bin/agentdesk" ./cmd/agentdesk && go build -o "$bin/barewindow" ./tools/barewindow)
xvfb_start

# run_one BIN: prints "startup_ms rss_kb" for one cold start of BIN.
run_one() {
	rm -rf "$XDG_DATA_HOME"/* "$XDG_CONFIG_HOME"/*
	fifo="$SANDBOX/ready.$$"
	rm -f "$fifo"
	mkfifo "$fifo"
	t0=$(date +%s%N)
	AGENTDESK_READY=1 "$1" 2>"$fifo" &
	pid=$!
	if ! timeout 60 grep -m1 -q '^ready' <"$fifo"; then
		echo "$1 did not become ready within 60 s" >&2
		kill "$pid" 2>/dev/null
		exit 1
	fi
	t1=$(date +%s%N)
	cat "$fifo" >/dev/null &
	drain=$!
	# Idle: let the first frames and lazy loads settle, then read RSS.
	sleep 5
	rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	kill "$drain" 2>/dev/null || true
	echo "$(((t1 - t0) / 1000000)) $rss"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

for name in barewindow agentdesk; do
	: >"$SANDBOX/$name.txt"
	i=0
	while [ $i -lt "$runs" ]; do
		r=$(run_one "$bin/$name")
		echo "$name run $i: startup_ms rss_kb = $r"
		echo "$r" >>"$SANDBOX/$name.txt"
		i=$((i + 1))
	done
done
bs=$(cut -d' ' -f1 "$SANDBOX/barewindow.txt" | median)
br=$(cut -d' ' -f2 "$SANDBOX/barewindow.txt" | median)
as=$(cut -d' ' -f1 "$SANDBOX/agentdesk.txt" | median)
ar=$(cut -d' ' -f2 "$SANDBOX/agentdesk.txt" | median)
echo "median startup: barewindow ${bs} ms, agentdesk ${as} ms (ratio $(awk "BEGIN{printf \"%.2f\", $as/$bs}"); target < 1000 ms and ≤ 1.5)"
echo "median idle RSS: barewindow $((br / 1024)) MB, agentdesk $((ar / 1024)) MB (ratio $(awk "BEGIN{printf \"%.2f\", $ar/$br}"); target ≤ 1.3)"
