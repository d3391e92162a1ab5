#!/bin/bash
cd /root/shop 2>/dev/null || { echo "There is no /root/shop folder yet."; exit 1; }
services=$(docker compose config --services 2>&1 | sort | tr '\n' ' ')
if [ "$services" != "cache web " ]; then
  echo "compose.yaml should describe the services cache and web (docker compose config says: $services)"
  exit 1
fi
