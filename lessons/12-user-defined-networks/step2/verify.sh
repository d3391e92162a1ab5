#!/bin/bash
members=$(docker network inspect -f '{{range .Containers}}{{.Name}} {{end}}' appnet 2>/dev/null)
for name in cache client; do
  case " $members " in
    *" $name "*) ;;
    *) echo "$name is not on appnet yet (members: ${members:-none})."; exit 1 ;;
  esac
done
