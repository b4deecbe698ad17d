#!/usr/bin/env bash
# Every tag the program logs with a literal (log_info("tag", ...) and the
# like, in app/ and port/) has its row in the tag table of docs/log-format.md,
# and every row names a tag the program uses (or a service's name).
set -euo pipefail
root=${1:?usage: test_log_tags.sh REPO_ROOT}
used=$(grep -rohE 'log_(info|warn|error|debug|requested|requested_folded)\("[a-z0-9-]+"|log_msg\(LOG_[A-Z]+, "[a-z0-9-]+"' \
    "$root/app" "$root/port" | sed -E 's/.*"([a-z0-9-]+)"/\1/' | sort -u)
# The services log under their own names (struct stream_service_ops).
services=$(grep -rhoE '_service_ops = \{"[a-z0-9-]+"' "$root/app" | sed -E 's/.*"([a-z0-9-]+)"/\1/' | sort -u)
page=$root/docs/log-format.md
table=$(sed -n '/^# Log format/,/^## /p' "$page" | grep -E '^\| `' |
    sed -E 's/^\| ([^|]*)\|.*/\1/' | grep -oE '`[a-z0-9-]+`' | tr -d '`' | sort -u)
[ -n "$table" ] || { echo "FAIL: no tag table under '# Log format' in docs/log-format.md"; exit 1; }
status=0
for tag in $used; do
    printf '%s\n' "$table" | grep -qx -- "$tag" || { echo "FAIL: tag '$tag' is logged but not in docs/log-format.md's table"; status=1; }
done
for tag in $table; do
    printf '%s\n%s\n' "$used" "$services" | grep -qx -- "$tag" ||
        { echo "FAIL: docs/log-format.md's table names '$tag', which nothing logs"; status=1; }
done
[ "$status" -ne 0 ] || echo "PASS: $(printf '%s\n' "$used" | wc -l) tags logged, all in docs/log-format.md's table"
exit "$status"
