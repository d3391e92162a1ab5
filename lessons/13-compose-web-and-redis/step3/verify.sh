#!/bin/bash
left=$(docker ps -aq --filter label=com.docker.compose.project=shop)
if [ -n "$left" ]; then
  echo "The shop project still has containers: take it down with docker compose down."
  exit 1
fi
if docker network inspect shop_default > /dev/null 2>&1; then
  echo "The shop_default network is still there."
  exit 1
fi
