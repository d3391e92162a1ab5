#!/bin/bash
cd /root/shop || exit 1
for service in web cache; do
  if [ -z "$(docker compose ps -q "$service" 2>/dev/null)" ]; then
    echo "The $service service is not running: start the project with docker compose up -d."
    exit 1
  fi
done
docker network inspect shop_default > /dev/null 2>&1 || { echo "There is no shop_default network."; exit 1; }
