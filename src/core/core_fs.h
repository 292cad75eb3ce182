/*
 * core_fs.h - file-system helpers: directories, durability, the data_dir lock.
 *
 * These block on disk I/O: call them at start-up or from worker threads,
 * never from protocol code on the loop thread.
 */
#ifndef CHATRELAY_CORE_FS_H
#define CHATRELAY_CORE_FS_H

#include <sys/types.h>

/* fs_mkdir_p - create a directory and its parents with mode; existing ones are fine. */
int fs_mkdir_p(const char *path, mode_t mode);

/* fs_fsync_dir - fsync a directory so renames and creations in it are durable. */
int fs_fsync_dir(const char *path);

/*
 * fs_lock_dir - take an exclusive, non-blocking lock on <dir>/chatrelay.lock
 * (GEN-5). Returns the fd to keep open for the life of the process, or -1
 * with errno (EWOULDBLOCK: another process holds it).
 */
int fs_lock_dir(const char *dir);

#endif
