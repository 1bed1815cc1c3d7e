# SPDX-License-Identifier: LGPL-2.1-or-later
# man/: banger(1), whose command list is generated from cli/commands.def by the banger just
# built (so it cannot drift from --help), and bangerd(8).
dist_man_MANS += man/bangerd.8 man/bangerd-root.8 man/banger-vmm.1 man/banger-jailer.1
nodist_man_MANS = man/banger.1
EXTRA_DIST += man/banger.1.in
CLEANFILES += man/banger.1 man/banger.1.commands
man/banger.1: $(srcdir)/man/banger.1.in banger$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) man && \
	./banger$(EXEEXT) --dump-commands=man > man/banger.1.commands && \
	sed -e 's|@VERSION@|$(PACKAGE_VERSION)|g' -e 's|@datadir@|$(datadir)|g' \
		-e '/^@COMMANDS@$$/{r man/banger.1.commands' -e 'd;}' \
		$(srcdir)/man/banger.1.in > $@.tmp && mv $@.tmp $@ && rm -f man/banger.1.commands
