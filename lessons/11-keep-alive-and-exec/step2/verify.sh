#!/bin/bash
if ! docker exec keeper cat /tmp/note.txt 2>/dev/null | grep -q "written by an exec"; then
  echo "keeper has no /tmp/note.txt with the text yet: write it with docker exec."
  exit 1
fi
