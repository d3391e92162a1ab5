#!/bin/sh
for name in reporter inside reader; do
  if docker ps -a --format '{{.Names}}' | grep -qx "$name"; then
    echo "container $name is still there"
    exit 1
  fi
done
docker volume ls --format '{{.Name}}' | grep -qx models || { echo "keep the models volume"; exit 1; }
echo "containers removed, the volume kept"
