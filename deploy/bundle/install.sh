#!/bin/sh
# Install 手続きサポート kiosk from this folder with no network: a virtualenv in TARGET with every
# wheel from wheels/ (pip --no-index), then `kiosk init` for the instance folder (kept if it exists).
#
#   sh install.sh [TARGET] [INSTANCE]     defaults: /opt/tetsuzuki-kiosk  /var/lib/tetsuzuki-kiosk
#
# Needs Python 3.11 with venv (Debian 12: python3 python3-venv) and, to run, the Debian packages in
# README.txt. PYTHON=/path/to/python3.11 picks another interpreter.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
TARGET=${1:-/opt/tetsuzuki-kiosk}
INSTANCE=${2:-/var/lib/tetsuzuki-kiosk}
PYTHON=${PYTHON:-python3}

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
  || { echo "install.sh: $PYTHON is older than Python 3.11" >&2; exit 1; }
"$PYTHON" -m venv "$TARGET/venv" \
  || { echo "install.sh: cannot make a virtualenv (Debian: apt install python3-venv)" >&2; exit 1; }
"$TARGET/venv/bin/python" -m pip install --no-index --find-links "$HERE/wheels" --disable-pip-version-check \
  --quiet --upgrade tetsuzuki-kiosk
if [ -d "$INSTANCE/content" ]; then
  echo "Kept $INSTANCE (its content and database); migrations run when the server starts."
else
  "$TARGET/venv/bin/kiosk" init "$INSTANCE"
fi
echo "Installed $("$TARGET/venv/bin/kiosk" --version) into $TARGET/venv."
echo "Serve: KIOSK_INSTANCE_PATH=$INSTANCE $TARGET/venv/bin/kiosk serve   (as a service: kiosk.service, docs/deploying.md)"
