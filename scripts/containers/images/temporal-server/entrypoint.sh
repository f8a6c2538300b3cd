#!/bin/sh
# As the official image's docker/scripts/sh/entrypoint.sh: bind to the container's address unless
# BIND_ON_IP says otherwise, and when bound to every address, tell the other services (membership)
# the container's own address.
set -eu
own_ip() { getent hosts "$(hostname)" | awk '{print $1; exit}'; }
: "${BIND_ON_IP:=$(own_ip)}"
export BIND_ON_IP
if [ "$BIND_ON_IP" = 0.0.0.0 ] || [ "$BIND_ON_IP" = ::0 ]; then
  : "${TEMPORAL_BROADCAST_ADDRESS:=$(own_ip)}"
  export TEMPORAL_BROADCAST_ADDRESS
fi
exec temporal-server start
