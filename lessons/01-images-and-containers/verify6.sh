#!/bin/sh
# Done when none of the lesson's containers is left.
left=$(docker ps -a --format '{{.Names}}' | grep -E '^(pyver|peek|peek2|explorer)$')
if [ -n "$left" ]; then
  echo "still there: $(echo $left)"
  exit 1
fi
echo "all cleaned up"
