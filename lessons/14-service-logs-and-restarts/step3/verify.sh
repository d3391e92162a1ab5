#!/bin/bash
state=$(docker inspect -f '{{.State.Running}} {{.State.FinishedAt}}' counter 2>/dev/null)
case "$state" in
  "true 0001-01-01T00:00:00Z") echo "counter has not been stopped and started yet."; exit 1 ;;
  true*) ;;
  *) echo "counter is not running: start it again with docker start counter."; exit 1 ;;
esac
