#!/bin/sh
grep -q 'serving v2' app.py || { echo "change app.py first"; exit 1; }
docker run --rm web | grep -q 'serving v2' || { echo "rebuild the image after changing app.py"; exit 1; }
echo "the image has the new code (and reinstalled everything to get it)"
