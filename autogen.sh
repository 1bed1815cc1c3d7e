#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Regenerates the autotools build files from configure.ac and Makefile.am.
set -e
cd "$(dirname "$0")"
autoreconf --force --install --warnings=all
