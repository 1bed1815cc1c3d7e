# SPDX-License-Identifier: LGPL-2.1-or-later
# themes/: banger-tui colour themes, installed to $(pkgdatadir)/themes (the last place
# banger-tui searches, after $XDG_CONFIG_HOME and $XDG_DATA_HOME).
themesdir = $(pkgdatadir)/themes
dist_themes_DATA = \
	themes/default.theme \
	themes/light.theme \
	themes/mono.theme \
	themes/solarized-dark.theme
