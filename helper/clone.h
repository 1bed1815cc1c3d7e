/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* File-to-file copies between descriptors: reflink (FICLONE) and sparse copy. */
#pragma once

#include "protocol/error.h"

/* FICLONE dst from src. -EOPNOTSUPP (err untouched) when the filesystem cannot share extents
 * between these two files; other failures fill err. */
int clone_reflink(int src, int dst, struct rpc_error *err);
/* Copies only the data extents (SEEK_DATA/SEEK_HOLE) with copy_file_range, falling back to
 * read/write; dst ends up exactly as long as src, holes stay holes. */
int clone_sparse_copy(int src, int dst, struct rpc_error *err);
