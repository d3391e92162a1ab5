#!/bin/bash
state=$(docker inspect -f '{{.State.Status}} {{.State.ExitCode}}' keeper 2>/dev/null)
if [ "$state" != "exited 137" ]; then
  echo "keeper should have been stopped (it is: ${state:-missing})."
  exit 1
fi
