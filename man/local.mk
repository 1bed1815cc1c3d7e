# SPDX-License-Identifier: LGPL-2.1-or-later
# man/: see docs/architecture.md.
