#!/bin/sh
# Starts the Temporal server on deploy/temporal/config/saga.yaml, which the
# server renders from this environment. In a container the server listens
# on the container's address, which the other containers reach; the cluster
# mode of the stack sets BIND_ON_IP to loopback. TEMPORAL_SERVER and
# TEMPORAL_CONFIG point elsewhere than the image's paths.
set -eu
if [ -z "${BIND_ON_IP:-}" ]; then
  BIND_ON_IP="$(hostname -i | awk '{print $1}')"
  export BIND_ON_IP
fi
exec "${TEMPORAL_SERVER:-temporal-server}" --root / --config "${TEMPORAL_CONFIG:-/etc/temporal/saga}" --env saga start
