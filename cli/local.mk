# SPDX-License-Identifier: LGPL-2.1-or-later
# cli/: banger, the scripting command line. The command table (cli/commands.def) also generates
# the bash, zsh and fish completion files here and the command list of man/banger.1 (man/local.mk).
noinst_LIBRARIES += libbangercli.a
libbangercli_a_SOURCES = \
	cli/cli.h cli/commands.def cli/commands.c \
	cli/parse.c cli/parse.h \
	cli/help.c \
	cli/completion.c \
	cli/output.c cli/output.h \
	cli/call.c \
	cli/cmd-vm.c \
	cli/cmd-vm-snapshot.c \
	cli/progress.c cli/progress.h \
	cli/cmd-image.c cli/cmd-image-pull.c cli/oci.c cli/oci.h \
	cli/cmd-events.c \
	cli/cmd-system.c cli/cmd-system-install.c cli/system-internal.h cli/sysunits.c cli/sysunits.h \
	cli/cmd-update.c cli/update-apply.c cli/update-apply.h cli/update-install.c cli/update-internal.h cli/update-release.c cli/update-release.h \
	cli/update-fetch.c cli/update-fetch.h cli/update-unpack.c cli/update-unpack.h \
	cli/cmd-doctor.c \
	cli/cmd-version.c
libbangercli_a_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS) $(SYSTEMD_CFLAGS) $(CURL_CFLAGS) \
	$(CRYPTO_CFLAGS) $(ARCHIVE_CFLAGS) $(INIH_CFLAGS) -DBANGER_SRCDIR=\"$(abs_top_srcdir)\"
BANGER_CLI_LIBS = libbangercli.a $(PROTOCOL_LIBS) $(COMMON_LIBS) $(SYSTEMD_LIBS) $(CURL_LIBS) \
	$(CRYPTO_LIBS) $(ARCHIVE_LIBS) $(INIH_LIBS)

bin_PROGRAMS += banger
banger_SOURCES = cli/main.c
banger_CFLAGS = $(AM_CFLAGS) $(JANSSON_CFLAGS)
banger_LDADD = $(BANGER_CLI_LIBS)

# Generated from the command table by the banger just built, so it cannot drift from it.
bashcompletiondir = $(datadir)/bash-completion/completions
bashcompletion_DATA = cli/completion/banger
cli/completion/banger: banger$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) cli/completion && ./banger$(EXEEXT) --dump-commands=bash > $@.tmp && mv $@.tmp $@
CLEANFILES += cli/completion/banger
# zsh and fish, from the same table
zshcompletiondir = $(datadir)/zsh/vendor-completions
zshcompletion_DATA = cli/completion/_banger
cli/completion/_banger: banger$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) cli/completion && ./banger$(EXEEXT) --dump-commands=zsh > $@.tmp && mv $@.tmp $@
fishcompletiondir = $(datadir)/fish/vendor_completions.d
fishcompletion_DATA = cli/completion/banger.fish
cli/completion/banger.fish: banger$(EXEEXT)
	$(AM_V_GEN)$(MKDIR_P) cli/completion && ./banger$(EXEEXT) --dump-commands=fish > $@.tmp && mv $@.tmp $@
CLEANFILES += cli/completion/_banger cli/completion/banger.fish

unit_tests += tests/unit/test-cli-parse tests/unit/test-cli-output tests/unit/test-update \
	tests/unit/test-oci
tests_unit_test_oci_SOURCES = tests/unit/test-oci.c
tests_unit_test_oci_CFLAGS = $(TESTS_CFLAGS) $(JANSSON_CFLAGS) $(ARCHIVE_CFLAGS)
tests_unit_test_oci_LDADD = $(BANGER_CLI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_update_SOURCES = tests/unit/test-update.c
tests_unit_test_update_CFLAGS = $(TESTS_CFLAGS) $(CRYPTO_CFLAGS) $(ARCHIVE_CFLAGS)
tests_unit_test_update_LDADD = $(BANGER_CLI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cli_parse_SOURCES = tests/unit/test-cli-parse.c
tests_unit_test_cli_parse_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_cli_parse_LDADD = $(BANGER_CLI_LIBS) $(CMOCKA_LIBS)
tests_unit_test_cli_output_SOURCES = tests/unit/test-cli-output.c
tests_unit_test_cli_output_CFLAGS = $(TESTS_CFLAGS)
tests_unit_test_cli_output_LDADD = $(BANGER_CLI_LIBS) $(CMOCKA_LIBS)
