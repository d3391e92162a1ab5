#!/bin/bash
if ! dpkg -s jq > /dev/null 2>&1; then
  echo "jq is not installed yet: apt-get install -y jq"
  exit 1
fi
