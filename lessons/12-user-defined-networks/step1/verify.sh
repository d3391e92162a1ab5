#!/bin/bash
if [ "$(docker network inspect -f '{{.Driver}}' appnet 2>/dev/null)" != bridge ]; then
  echo "There is no bridge network named appnet yet."
  exit 1
fi
