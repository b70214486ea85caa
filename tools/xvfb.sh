# xvfb.sh is sourced by the measuring and screenshot scripts: it starts
# Xvfb on a free display with a throwaway HOME and a fontconfig that sees no
# fonts at all (so a CJK glyph can only come from the font we bundle).
# After sourcing: $DISPLAY, $XVFB_PID, $SANDBOX; call xvfb_stop at the end.
xvfb_start() {
	SANDBOX=$(mktemp -d)
	mkdir -p "$SANDBOX/home" "$SANDBOX/config" "$SANDBOX/data" "$SANDBOX/cache"
	cat >"$SANDBOX/fonts.conf" <<'CONF'
<?xml version="1.0"?>
<!DOCTYPE fontconfig SYSTEM "fonts.dtd">
<fontconfig><cachedir>/nonexistent</cachedir></fontconfig>
CONF
	# Xvfb picks a free display itself (no race with another X server
	# starting at the same moment) and writes its number to fd 3.
	# -noreset: a client connecting while the last one leaves is refused
	# otherwise (the server resets then).
	Xvfb -displayfd 3 -noreset -screen 0 1366x768x24 -nolisten tcp >"$SANDBOX/xvfb.log" 2>&1 3>"$SANDBOX/display" &
	XVFB_PID=$!
	i=0
	n=
	until [ -n "$n" ] && xdpyinfo -display ":$n" >/dev/null 2>&1; do
		n=$(tr -d '[:space:]' <"$SANDBOX/display")
		i=$((i + 1))
		if [ $i -gt 100 ]; then echo "Xvfb :$n did not start" >&2; cat "$SANDBOX/xvfb.log" >&2; return 1; fi
		sleep 0.1
	done
	export DISPLAY=":$n" HOME="$SANDBOX/home" XDG_CONFIG_HOME="$SANDBOX/config" \
		XDG_DATA_HOME="$SANDBOX/data" XDG_CACHE_HOME="$SANDBOX/cache" \
		FONTCONFIG_FILE="$SANDBOX/fonts.conf"
	unset LANG LC_ALL LANGUAGE
}

xvfb_stop() {
	[ -n "${XVFB_PID:-}" ] && kill "$XVFB_PID" 2>/dev/null && wait "$XVFB_PID" 2>/dev/null
	[ -n "${SANDBOX:-}" ] && rm -rf "$SANDBOX"
	return 0
}
