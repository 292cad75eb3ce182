/*
 * smtp_spool.h - anonymous spool files for messages in transit
 * (<data_dir>/tmp, ARCHITECTURE "Data on disk").
 *
 * A spool file has no name from the start (O_TMPFILE, or created and
 * unlinked at once where that is unsupported), so a disconnect, a refusal
 * or a crash never leaves anything behind: closing the fd is the cleanup.
 * Durability is not needed here: store_deliver() copies and flushes.
 *
 * Released spool files are truncated and kept for the next message
 * (smtp_spool_release): creating and freeing an inode per message is the
 * most expensive part of a delivery on some file systems (ext4 without a
 * journal scans past every inode freed in the last 30 s on each create).
 */
#ifndef CHATRELAY_SMTP_SPOOL_H
#define CHATRELAY_SMTP_SPOOL_H

#include <stddef.h>

struct conf;

/* smtp_spool_open - a new empty spool file (read/write, offset 0). fd, or -1 with errno. */
int smtp_spool_open(const struct conf *conf);

/*
 * smtp_spool_release - give back a spool file nobody else uses any more
 * (no mapping, no other owner): truncated and kept for reuse, or closed.
 * Any thread.
 */
void smtp_spool_release(int fd);

/* smtp_spool_write - write all of buf (retrying short writes and EINTR). 0 or -1 with errno. */
int smtp_spool_write(int fd, const void *buf, size_t len);

#endif
