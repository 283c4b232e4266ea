#!/usr/bin/env bash
# `make lint`: gofmt, go vet (the full build and the agent's), and a check
# for shadowed variables — the class of kine's Create bug, where a `:=` in
# an inner block hid the variable the function returned. The one shadowing
# it accepts is Go's idiom `if err := f(); err != nil {`, whose err lives
# only in the if statement.
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${TAGS:?TAGS: the build tags (make lint sets them)}"
fail=0

unformatted=$(gofmt -l cmd internal test bench tools images)
if [[ -n $unformatted ]]; then
  echo "gofmt: these files are not formatted (gofmt -w them):"
  echo "$unformatted"
  fail=1
fi

go vet -tags "$TAGS,qemu" ./... || fail=1
go vet -tags "$TAGS,agentonly" ./cmd/... ./internal/cli/... || fail=1

tool=$(mktemp -d)/shadow
trap 'rm -rf "$(dirname "$tool")"' EXIT
go build -o "$tool" golang.org/x/tools/go/analysis/passes/shadow/cmd/shadow
found=0
while IFS=: read -r file line _ msg; do
  src=$(sed -n "${line}p" "$file")
  if [[ $msg == *'declaration of "err" shadows'* ]] && grep -qE '^\s*(\} else )?if [A-Za-z_, ]*\berr :?= ' <<<"$src"; then
    continue
  fi
  echo "shadow: $file:$line:$msg"
  echo "    $(sed 's/^\s*//' <<<"$src")"
  found=1
done < <(go vet -tags "$TAGS,qemu" -vettool="$tool" ./... 2>&1 | grep -E '^[^#].*\.go:[0-9]+:[0-9]+: ' || true)
[[ $found == 0 ]] || fail=1

if [[ $fail == 0 ]]; then echo "lint: clean"; fi
exit $fail
