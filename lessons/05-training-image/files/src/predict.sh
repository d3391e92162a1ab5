#!/bin/sh
# Reads the model the trainer left in /models.
if [ ! -f /models/model.txt ]; then
  echo "no model in /models: run the trainer with the volume first" >&2
  exit 1
fi
echo "prediction made with: $(cat /models/model.txt)"
