/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Kept for lifecycle.c, which includes it for daemon_vm_remove(): vm.create's parameters are
 * checked by their schema in protocol/methods.def now, and what rpc-vm.c exports is in
 * rpc-vm.h. Remove once nothing includes it. */
#pragma once

#include "daemon/rpc-vm.h"
