#!/usr/bin/env bash
# bench/table.sh FIGURES K3S: prints the figures (NAME, VALUE, UNIT, METHOD
# as bench/lib.sh's figure writes them) as one table, with the K3s value
# and the ratio shoal / K3s where K3S has the same NAME, then the methods.
set -euo pipefail
awk -F'\t' '
  BEGIN { printf "%-46s %16s %-9s %15s %6s  %s\n", "figure", "shoal", "", "K3s", "ratio", "method" }
  FNR == NR { if ($0 !~ /^#/ && NF >= 3) { k3s[$1] = $2; unit[$1] = $3 }; next }
  {
    n++
    ref = ""; ratio = ""
    if ($1 in k3s) {
      ref = k3s[$1] " " unit[$1]
      split($2, v, " ")
      if (k3s[$1] > 0 && v[1] ~ /^[0-9.]+$/) ratio = sprintf("%.2f", v[1] / k3s[$1])
    }
    printf "%-46s %16s %-9s %15s %6s  [%d]\n", $1, $2, $3, ref, ratio, n
    method[n] = $4
  }
  END {
    print ""
    for (i = 1; i <= n; i++) printf "[%d] %s\n", i, method[i]
  }
' "$2" "$1"
