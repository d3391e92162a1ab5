#!/bin/bash
nets=$(docker inspect -f '{{range $name, $_ := .NetworkSettings.Networks}}{{$name}} {{end}}' client 2>/dev/null)
if [ "$nets" != "backend " ]; then
  echo "client should be on backend only (it is on: ${nets:-nothing})."
  exit 1
fi
