#!/bin/sh
# Greets whoever is named on the command line, from inside the container.
echo "Hello, $1! This is $(whoami) in $(pwd) on $(cat /etc/alpine-release | cut -d. -f1,2)."
