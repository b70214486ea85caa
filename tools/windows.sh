#!/bin/sh
# windows.sh cross-compiles agentdesk.exe for Windows amd64 with Debian's
# mingw-w64 and, when AGENTDESK_SIGN_CERT and AGENTDESK_SIGN_KEY name a PEM
# certificate and key, signs it with osslsigncode (unsigned Fyne executables
# get flagged by antivirus).
# Needs: apt-get install gcc-mingw-w64-x86-64 osslsigncode
# Usage: tools/windows.sh [OUT]   (default dist/agentdesk.exe)
set -eu
repo=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$repo/dist/agentdesk.exe}
mkdir -p "$(dirname "$out")"
cd "$repo"
CGO_ENABLED=1 GOOS=windows GOARCH=amd64 CC=x86_64-w64-mingw32-gcc \
	go build -trimpath -ldflags "-s -w -H=windowsgui" -o "$out.unsigned" ./cmd/agentdesk
if [ -n "${AGENTDESK_SIGN_CERT:-}" ] && [ -n "${AGENTDESK_SIGN_KEY:-}" ]; then
	osslsigncode sign -certs "$AGENTDESK_SIGN_CERT" -key "$AGENTDESK_SIGN_KEY" \
		-n "AgentDesk" -h sha256 ${AGENTDESK_SIGN_TIMESTAMP:+-ts "$AGENTDESK_SIGN_TIMESTAMP"} \
		-in "$out.unsigned" -out "$out"
	rm "$out.unsigned"
	osslsigncode verify -CAfile "$AGENTDESK_SIGN_CERT" "$out" >/dev/null 2>&1 ||
		osslsigncode verify "$out" | tail -3 || true
	echo "signed $out"
else
	mv "$out.unsigned" "$out"
	echo "built $out (unsigned: set AGENTDESK_SIGN_CERT and AGENTDESK_SIGN_KEY to sign)"
fi
