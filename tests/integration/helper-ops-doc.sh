#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# helper/README.md's op table is what bangerd-root serves: it must equal `bangerd-root
# --print-ops`, which prints the table from the ops the helper is built with
# (protocol/helper-ops.def). A field, op, descriptor or result added to the declaration and not to
# the README (or the other way round) fails here.
. "$(dirname "$0")/../lib.sh"

HELPER=$(t_bin bangerd-root)
[ -x "$HELPER" ] || t_skip_all "$HELPER is not built"
t_tmpdir

# the op table of a README: from its header row to the first line that is not a row
readme_table() { awk '/^\| op \|/ { on = 1 } on && !/^\|/ { exit } on' "$1"; }
same_table() { diff -u <(readme_table "$1") <("$HELPER" --print-ops); }

t_check "bangerd-root --print-ops prints a table" bash -c '"$1" --print-ops | grep -q "^| \`jail.launch\` |"' - "$HELPER"
n=$("$HELPER" --print-ops | grep -c '^| `')
t_eq "one row per op of protocol/helper-ops.def" "$(grep -c '^HELPER_OP(' "$BANGER_SRC/protocol/helper-ops.def")" "$n"

# the comparison must be able to say no
sed 's/`tap` ("bgt-…", ≤15 chars)/`tap`/' "$BANGER_SRC/helper/README.md" > "$T/README.md"
if same_table "$T/README.md" > /dev/null; then
	t_fail "a README whose table differs is caught"
else
	t_ok "a README whose table differs is caught"
fi

out=$(same_table "$BANGER_SRC/helper/README.md" 2>&1)
t_eq "helper/README.md's op table equals bangerd-root --print-ops" "" "$out"
t_done
