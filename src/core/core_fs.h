/*
 * core_fs.h - file-system helpers: directories, durability, the data_dir lock.
 *
 * These block on disk I/O: call them at start-up or from worker threads,
 * never from protocol code on the loop thread.
 */
#ifndef CHATRELAY_CORE_FS_H
#define CHATRELAY_CORE_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* fs_mkdir_p - create a directory and its parents with mode; existing ones are fine. */
int fs_mkdir_p(const char *path, mode_t mode);

/* fs_fsync_dir - fsync a directory so renames and creations in it are durable. */
int fs_fsync_dir(const char *path);

/* fs_write_all - write buf[0..len) to fd, retrying short writes and EINTR. 0 or -1/errno. */
int fs_write_all(int fd, const void *buf, size_t len);

/*
 * fs_write_durable - make path a file with mode holding data[0..len),
 * atomically and durably: the data go to a new temporary file beside it
 * ("<path>.tmp.<pid>", O_EXCL, so mode holds from the first byte), which is
 * fsynced and then renamed over path (is_replace) or linked to path, where
 * an existing file wins and the call fails with EEXIST (!is_replace); the
 * directory is fsynced last. The temporary file never stays behind.
 * Returns 0, or -1 with errno. Blocks on disk I/O. Used for the generated
 * TLS key and certificate and the DKIM key (secrets: mode 0600).
 */
int fs_write_durable(const char *path, const void *data, size_t len, mode_t mode, bool is_replace);

/* fs_feed_fn - consume data[0..len) of a file being read; < 0 stops the reading. */
typedef int fs_feed_fn(void *arg, const char *data, size_t len);

enum fs_feed_result {
	FS_FEED_EOF,        /* the whole file went to feed */
	FS_FEED_READ_ERROR, /* read() failed; errno says why */
	FS_FEED_STOPPED,    /* feed returned < 0 */
};

/*
 * fs_read_feed - read fd from its position to the end in pieces of up to
 * 64 KiB (EINTR retried), handing each to feed(arg, ...). Blocks: worker
 * threads only. Used by the DKIM signer and verifier on spooled messages.
 */
enum fs_feed_result fs_read_feed(int fd, fs_feed_fn *feed, void *arg);

/*
 * fs_lock_dir - take an exclusive, non-blocking lock on <dir>/chatrelay.lock
 * (GEN-5). Returns the fd to keep open for the life of the process, or -1
 * with errno (EWOULDBLOCK: another process holds it).
 */
int fs_lock_dir(const char *dir);

#endif
