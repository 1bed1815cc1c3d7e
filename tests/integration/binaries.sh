#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every program answers --version with "NAME X.Y.Z" (the configure.ac version) and --help.
. "$(dirname "$0")/../lib.sh"

version=$(cat "$BANGER_SRC/VERSION")
for p in bangerd bangerd-root banger banger-tui banger-vmm banger-jailer; do
	out=$("$(t_bin $p)" --version 2>&1)
	case $p in
	banger-vmm) # Firecracker's parsers want "Firecracker vX.Y.Z" first.
		t_check "$p --version names itself and $version" grep -q "banger-vmm $version" <<< "$out" ;;
	*) t_eq "$p --version" "$p $version" "$out" ;;
	esac
	t_check "$p --help exits 0 and says Usage" bash -c "'$(t_bin $p)' --help | grep -qi usage"
done
t_done
