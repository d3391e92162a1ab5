#!/bin/bash
if [ "$(systemctl is-active docker)" != active ]; then
  echo "The docker service is not running: systemctl start docker"
  exit 1
fi
if [ "$(cat /root/docker-state.txt 2>/dev/null)" != active ]; then
  echo "/root/docker-state.txt should say active."
  exit 1
fi
