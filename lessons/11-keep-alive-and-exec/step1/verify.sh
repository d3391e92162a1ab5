#!/bin/bash
if [ "$(docker inspect -f '{{.State.Running}}' keeper 2>/dev/null)" != true ]; then
  echo "There is no running container named keeper yet."
  exit 1
fi
