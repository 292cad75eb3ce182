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

/*
 * fs_lock_dir - take an exclusive, non-blocking lock on <dir>/chatrelay.lock
 * (GEN-5). Returns the fd to keep open for the life of the process, or -1
 * with errno (EWOULDBLOCK: another process holds it).
 */
int fs_lock_dir(const char *dir);

#endif
