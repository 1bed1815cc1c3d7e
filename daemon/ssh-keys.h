/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The owner's SSH key pair and the daemon-managed known_hosts: host keys are pinned from the
 * console line the guest prints before the first connection, never learned on first use. */
#pragma once

#include <stddef.h>

#define SSH_HOSTKEY_MARKER "banger-hostkey: "

/* Creates ssh_dir (0700) and an ed25519 key pair in it when missing (ssh-keygen, blocking: call
 * at start-up). Returns the public key line in *ret_pubkey (malloc'ed). */
int ssh_key_ensure(const char *ssh_dir, char **ret_pubkey);

/* Parses a console line "banger-hostkey: TYPE BLOB" (anything before the marker, such as a
 * timestamp, is ignored). Only ssh-ed25519, ecdsa-sha2-nistp256 and ssh-rsa with base64 blobs
 * are taken. Returns 1 and "TYPE BLOB" in ret when the line is one, 0 when it is not, -EINVAL
 * when it carries the marker but a malformed key. */
int ssh_hostkey_from_console_line(const char *line, char *ret, size_t size);

/* Replaces every known_hosts entry for ip with "ip TYPE BLOB" (atomically, 0600). */
int ssh_known_hosts_pin(const char *ssh_dir, const char *ip, const char *key);
/* Removes every entry for ip. */
int ssh_known_hosts_forget(const char *ssh_dir, const char *ip);
