#!/bin/sh
echo "Hello from container $(hostname)!"
echo "It runs $(grep PRETTY_NAME /etc/os-release | cut -d '"' -f 2)."
