#!/usr/bin/env bash
# Everything the tests and the server need, on a fresh Debian machine as root: Java (HermiT), Debian's
# chromium and a font (browser tests), Virtuoso (external-store tests), YASGUI from npm (the query UI),
# and the project in .venv with its test extras. Idempotent: each part is installed only when missing,
# so a second run takes seconds. The README's test command runs this first; .ci/run runs that command.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive PIP_DISABLE_PIP_VERSION_CHECK=1

missing=()
# HermiT, the reasoner behind `check` and every write, runs on Java; the write guard keeps it warm in
# one Java process of its own (service/reasoning/HermitServer.java), compiled with javac at first use
command -v java >/dev/null 2>&1 && command -v javac >/dev/null 2>&1 || missing+=(default-jdk-headless)
# Browser tests drive Debian's chromium through Playwright (from PyPI); `playwright install` is never
# run, since it would download a browser of its own
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg-query -W -f='${Status}' fonts-dejavu-core 2>/dev/null | grep -q "ok installed" || missing+=(fonts-dejavu-core)
# tests/store/test_external_store.py starts a throwaway Virtuoso Open Source 7 on loopback
command -v virtuoso-t >/dev/null 2>&1 && command -v isql-vt >/dev/null 2>&1 || missing+=(virtuoso-opensource)
# npm comes with the machine's Node.js where there is one (a NodeSource build, say); Debian's npm only
# where it is missing, since it would pull Debian's older nodejs over that one
command -v npm >/dev/null 2>&1 || missing+=(npm)
command -v python3 >/dev/null 2>&1 && python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)

if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: apt-get install ${missing[*]}"
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# the packaged Virtuoso service may start on install: the tests run their own instance on their own ports
if [[ " ${missing[*]} " == *" virtuoso-opensource "* ]] && command -v service >/dev/null 2>&1; then
    service virtuoso-opensource-7 stop >/dev/null 2>&1 || true
fi

# The query UI's YASGUI, at the version pinned in service/web/static/package-lock.json (never committed)
static=service/web/static
pinned() {  # true when the installed YASGUI is the version the lock file pins
    node -e 'const fs = require("fs"), [lock, mod] = process.argv.slice(1);
             const want = JSON.parse(fs.readFileSync(lock)).packages["node_modules/@zazuko/yasgui"].version;
             let have = ""; try { have = JSON.parse(fs.readFileSync(mod)).version } catch (e) {}
             process.exit(want === have ? 0 : 1)' \
        "$static/package-lock.json" "$static/node_modules/@zazuko/yasgui/package.json"
}
if [ ! -e "$static/node_modules/@zazuko/yasgui/build/yasgui.min.js" ] || ! pinned; then
    echo "setup: npm ci --prefix $static"
    npm ci --prefix "$static" --no-audit --no-fund --loglevel=error
fi

# The project, editable, with what the tests use
[ -x .venv/bin/python ] || python3 -m venv .venv
if ! .venv/bin/python -c 'import service, pytest, playwright, pylode' >/dev/null 2>&1 \
        || [ pyproject.toml -nt .venv/.setup-done ]; then
    echo "setup: pip install -e '.[test]'"
    .venv/bin/pip install -q -e '.[test]'
    touch .venv/.setup-done
fi
echo "setup: java, javac, chromium, virtuoso-t, npm packages and .venv are in place"
