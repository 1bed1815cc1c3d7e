# SPDX-License-Identifier: LGPL-2.1-or-later
# images/: guest image recipes, installed to $(pkgdatadir)/images/<name>/ for `banger image build`.
imagesminimaldir = $(pkgdatadir)/images/minimal
dist_imagesminimal_SCRIPTS = images/minimal/build images/minimal/init images/minimal/initrd-init
dist_imagesminimal_DATA = images/minimal/README
imagescommondir = $(pkgdatadir)/images/common
dist_imagescommon_DATA = images/common/kernel.sh
imagesdebiandir = $(pkgdatadir)/images/debian
dist_imagesdebian_SCRIPTS = images/debian/build images/debian/banger-agent
dist_imagesdebian_DATA = images/debian/README images/debian/banger-agent.service \
	images/debian/banger-ready.service
