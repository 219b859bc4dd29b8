#!/bin/sh
# Creates the namespace and registers the search attributes the purchase
# workflow upserts, once the Temporal server answers. Safe to run again: a
# namespace or an attribute that exists is left as it is.
set -eu
addr="${TEMPORAL_ADDRESS:-temporal:7233}"
ns="${TEMPORAL_NAMESPACE:-default}"
until temporal operator cluster health --address "$addr" >/dev/null 2>&1; do
  echo "waiting for Temporal on $addr"
  sleep 2
done
if ! temporal operator namespace describe --address "$addr" --namespace "$ns" >/dev/null 2>&1; then
  temporal operator namespace create --address "$addr" --namespace "$ns" --retention 72h
fi
# A new namespace reaches the server's other roles when they next refresh
# their namespace cache (every few seconds): until then the search
# attributes of it cannot be read.
until temporal operator search-attribute list --address "$addr" --namespace "$ns" >/dev/null 2>&1; do
  echo "waiting for namespace $ns on $addr"
  sleep 2
done
for attr in OrderId=Keyword CustomerId=Keyword OrderTotal=Int SagaStatus=Keyword; do
  name="${attr%%=*}" type="${attr##*=}"
  if temporal operator search-attribute list --address "$addr" --namespace "$ns" | grep -qw "$name"; then
    echo "search attribute $name exists"
  else
    temporal operator search-attribute create --address "$addr" --namespace "$ns" --name "$name" --type "$type"
  fi
done
