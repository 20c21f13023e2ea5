#!/bin/sh
# Turns a bare Debian container into an apt client of the debstash mirror alone, then installs
# $PACKAGES from it (none when empty: just `apt-get update`). No curl needed: apt-helper
# downloads. The .sources the mirror serves carries its public key (Signed-By), so trusting the
# mirror takes no apt-key and no global keyring.
set -eu
MIRROR_URL=${MIRROR_URL:-http://mirror:8080}
DIST=${DIST:-bookworm}
PACKAGES=${PACKAGES-postgresql python3}

# Only the mirror: the image's own sources would let apt install from elsewhere.
rm -f /etc/apt/sources.list /etc/apt/sources.list.d/*
# apt-helper downloads as the _apt user: into /tmp, which that user may write.
/usr/lib/apt/apt-helper download-file "$MIRROR_URL/client/$DIST.sources" /tmp/debstash.sources
mv /tmp/debstash.sources /etc/apt/sources.list.d/debstash.sources
apt-get update
if [ -n "$PACKAGES" ]; then
  # shellcheck disable=SC2086 # a list of package names
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGES
  # shellcheck disable=SC2016,SC2086 # ${...} is dpkg-query's format
  dpkg-query -W -f '${db:Status-Status} ${Package} ${Version}\n' $PACKAGES
fi
