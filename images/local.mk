# SPDX-License-Identifier: LGPL-2.1-or-later
# images/: guest image recipes, installed to $(pkgdatadir)/images/<name>/ for `banger image build`.
imagesminimaldir = $(pkgdatadir)/images/minimal
dist_imagesminimal_SCRIPTS = images/minimal/build images/minimal/init images/minimal/initrd-init
dist_imagesminimal_DATA = images/minimal/README
imagesocidir = $(pkgdatadir)/images/oci
dist_imagesoci_SCRIPTS = images/oci/pull images/oci/init images/oci/systemd-setup
dist_imagesoci_DATA = images/oci/banger-guest.service
imagescommondir = $(pkgdatadir)/images/common
dist_imagescommon_DATA = images/common/kernel.sh
imagesdebiandir = $(pkgdatadir)/images/debian
dist_imagesdebian_SCRIPTS = images/debian/build images/debian/banger-agent
dist_imagesdebian_DATA = images/debian/README images/debian/banger-agent.service \
	images/debian/banger-ready.service
