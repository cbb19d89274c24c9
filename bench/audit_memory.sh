#!/usr/bin/env bash
# bench/audit_memory.sh measures lucid audit's peak memory and speed on
# synthetic labelled CSV files of 10,000 and 100,000 rows (streaming means
# the larger file should need no more memory than the smaller one, plus a
# small constant). Needs /usr/bin/time (Debian package "time").
#
#   bench/audit_memory.sh [ROWS...]      default: 10000 100000
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
scripts/setup_ort.sh >/dev/null
go build -o bin/lucid ./cmd/lucid
command -v /usr/bin/time >/dev/null || { echo "audit_memory.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000)
for n in "${sizes[@]}"; do
  # Reviews built from templates: identity terms, two group columns, labels,
  # and one malformed row every 10,000 rows.
  awk -v n="$n" 'BEGIN {
    srand(7)
    split("he|she|my brother|my sister|the old man|the young woman|john|mary", subj, "|")
    split("said the film was wonderful and moving .|thought the plot was dull and far too long .|loved every minute of this charming story .|found the acting flat and the jokes stale .|called it one of the best films of the year .|said it was a mess from start to finish .", op, "|")
    split("POSITIVE|NEGATIVE|POSITIVE|NEGATIVE|POSITIVE|NEGATIVE", lab, "|")
    print "text,label,gender,age"
    for (i = 1; i <= n; i++) {
      s = int(rand() * 8) + 1; o = int(rand() * 6) + 1
      g = (s % 2 == 1) ? "m" : "f"; a = (rand() < 0.3) ? "over 60" : "under 60"
      if (i % 10000 == 5000) { print "broken,row,with,too,many,fields"; continue }
      printf "\"%s %s\",%s,%s,%s\n", subj[s], op[o], lab[o], g, a
    }
  }' > "$tmp/data_$n.csv"
  /usr/bin/time -v bin/lucid audit --data "$tmp/data_$n.csv" --group-col gender,age --out "$tmp/out_$n" --progress never \
    > "$tmp/stdout_$n" 2> "$tmp/time_$n"
  rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$tmp/time_$n")
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$tmp/time_$n")
  rate=$(grep -o '"rows_per_second": [0-9.]*' "$tmp/out_$n/report.json" | head -1 | awk '{print $2}')
  skipped=$(grep -o '"skipped_rows": [0-9]*' "$tmp/out_$n/report.json" | head -1 | awk '{print $2}')
  printf '%8d rows: peak RSS %7d kB, wall %s, %.0f rows/s, %s skipped\n' "$n" "$rss" "$wall" "$rate" "$skipped"
done
