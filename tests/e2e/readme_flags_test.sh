#!/usr/bin/env bash
# Every flag `sluice serve --help` lists has a row in the README's configuration table, and
# every row names a flag that exists: the table cannot drift from the CLI definition.
#   readme_flags_test.sh SLUICE_BINARY README
set -euo pipefail
binary=$1 readme=$2
cli=$("$binary" serve --help | grep -oE '^ +--[a-z0-9-]+' | tr -d ' ' | grep -v -- '^--help$' | sort -u)
table=$(grep -oE '^\| `--[a-z0-9-]+`' "$readme" | grep -oE -- '--[a-z0-9-]+' | sort -u)
missing=$(comm -23 <(echo "$cli") <(echo "$table"))
stale=$(comm -13 <(echo "$cli") <(echo "$table"))
[ -z "$missing" ] || { echo "flags missing from README's table:"; echo "$missing"; }
[ -z "$stale" ] || { echo "README's table names flags sluice serve lacks:"; echo "$stale"; }
[ -z "$missing" ] && [ -z "$stale" ] && echo "README's table matches sluice serve's $(echo "$cli" | wc -l) flags"
