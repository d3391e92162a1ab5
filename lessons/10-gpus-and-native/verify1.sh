#!/bin/sh
# Done when the student has tried it: the container exists and never ran.
docker ps -a --format '{{.Names}} {{.Status}}' | grep -q '^gpu Created' || { echo "run the command with --name gpu"; exit 1; }
echo "Docker refused to start it: no GPU here"
