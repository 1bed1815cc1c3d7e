# SPDX-License-Identifier: LGPL-2.1-or-later
# units/: systemd unit templates, rendered with the configured paths.
units_templates = units/bangerd.service.in units/bangerd-root.service.in units/bangerd.socket.in \
	units/banger-update.service.in
systemdsystemunit_DATA = units/bangerd.service units/bangerd-root.service units/bangerd.socket \
	units/banger-update.service
EXTRA_DIST += $(units_templates)
CLEANFILES += $(systemdsystemunit_DATA)

render_unit = $(AM_V_GEN)$(MKDIR_P) units && \
	sed -e 's|@bindir[@]|$(bindir)|g' -e 's|@sbindir[@]|$(sbindir)|g' $< > $@.tmp && mv $@.tmp $@
units/bangerd.service: $(top_srcdir)/units/bangerd.service.in Makefile
	$(render_unit)
units/bangerd-root.service: $(top_srcdir)/units/bangerd-root.service.in Makefile
	$(render_unit)
units/bangerd.socket: $(top_srcdir)/units/bangerd.socket.in Makefile
	$(render_unit)
units/banger-update.service: $(top_srcdir)/units/banger-update.service.in Makefile
	$(render_unit)
