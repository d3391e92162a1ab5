#!/bin/bash
cd /root/hello 2>/dev/null || { echo "There is no /root/hello project yet."; exit 1; }
if ! git log --oneline 2>/dev/null | grep -q .; then
  echo "/root/hello has no commit yet."
  exit 1
fi
if [ -n "$(git status --short)" ]; then
  echo "Some changes are not committed: $(git status --short | tr '\n' ' ')"
  exit 1
fi
git show HEAD:Dockerfile | grep -q '^FROM ' || { echo "The commit has no Dockerfile."; exit 1; }
