#!/bin/bash
if [ "$(docker inspect -f '{{.State.Running}}' counter 2>/dev/null)" != true ]; then
  echo "There is no running container named counter yet."
  exit 1
fi
