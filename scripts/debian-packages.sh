#!/bin/sh
# Install the Debian packages given as arguments when they are missing.
# As root: apt-get installs them. Otherwise: name them and fail, so nothing half-works.
set -eu
command -v dpkg-query >/dev/null 2>&1 || {
    echo "note: not a Debian system; make sure these are installed: $*" >&2
    exit 0
}
missing=""
for pkg in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
    case "$status" in
        *"install ok installed"*) ;;
        *) missing="$missing $pkg" ;;
    esac
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -eq 0 ]; then
    echo "Installing Debian packages:$missing"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
else
    echo "error: missing Debian packages:$missing" >&2
    echo "       install them with: sudo apt-get install$missing" >&2
    exit 1
fi
