/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The directory where processes sharing a card keep shared state (the record
 * of channel owners, chanrec.c; the queue of fair turns, turnstile.c), and
 * the trust boundary around it.
 *
 * Whoever can write that state can make other processes wait or close
 * channels, so it is shared only with the users an administrator chose: the
 * directory must be a real directory owned by root (or by the user itself),
 * not writable by others; its group is the boundary (the package makes
 * /run/iotsafe root:iotsafe 2770 at boot). Every file in it must be a plain
 * file with one link, not writable by others, owned by root, by us, or
 * carrying the directory's group. Anything else: no shared state for this
 * handle (channels are still closed at exit; no fair queue), and the reason
 * is kept for the debug log. All files are opened relative to the directory
 * checked once, never following a link, never blocking on a FIFO.
 */
#define _GNU_SOURCE /* O_PATH, F_OFD_SETLK, F_OFD_GETLK, renameat2 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card_internal.h"
#include "iotsafe/escape.h"

static void group_name(gid_t gid, char *out, size_t cap)
{
    struct group gr, *res = NULL;
    char buf[2048];
    if (getgrgid_r(gid, &gr, buf, sizeof buf, &res) == 0 && res != NULL) {
        char e[64];
        snprintf(out, cap, "%s", iotsafe_escape_str(res->gr_name, e, sizeof e));
    } else {
        snprintf(out, cap, "gid %u", (unsigned)gid);
    }
}

/* FNV-1a over the transport, the PC/SC daemon socket and the reader: one set of files per card slot. */
static void card_key(const iotsafe_transport *t, char *out, size_t cap)
{
    const char *sock = getenv("PCSCLITE_CSOCK_NAME");
    const char *parts[] = {t->ops->name, sock != NULL ? sock : "/run/pcscd/pcscd.comm",
                           t->ops->describe(t)};
    unsigned long long h = 1469598103934665603ULL;
    for (size_t i = 0; i < 3; i++) {
        for (const char *p = parts[i]; *p != '\0'; p++) {
            h ^= (unsigned char)*p;
            h *= 1099511628211ULL;
        }
        h ^= 0xFF;
        h *= 1099511628211ULL;
    }
    snprintf(out, cap, "%016llx", h);
}

void statedir_open(card_state *s, const char *dir, const iotsafe_transport *t)
{
    s->dirfd = -1;
    s->gid = 0;
    owner_probe_self(&s->me);
    if (dir == NULL)
        dir = IOTSAFE_STATE_DIR_DEFAULT;
    iotsafe_escape_str(dir, s->dir, sizeof s->dir);
    if (strcmp(dir, "none") == 0) {
        snprintf(s->what, sizeof s->what, "none (state-dir = none)");
        return;
    }
    if (!iotsafe_state_dir_plain(dir)) {
        snprintf(s->what, sizeof s->what,
                 "none (state-dir '%s' is not a plain absolute path: no '.', '..', '//' or "
                 "trailing '/')",
                 s->dir);
        return;
    }
    int fd = open(dir, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        snprintf(s->what, sizeof s->what, "none (%s %s)", s->dir,
                 e == ENOENT                  ? "does not exist"
                 : e == ELOOP || e == ENOTDIR ? "is a symbolic link or not a directory"
                                              : strerror(e));
        return;
    }
    struct stat sb;
    char grp[72];
    if (fstat(fd, &sb) != 0) {
        snprintf(s->what, sizeof s->what, "none (%s: %s)", s->dir, strerror(errno));
        close(fd);
        return;
    }
    group_name(sb.st_gid, grp, sizeof grp);
    const unsigned mode = (unsigned)(sb.st_mode & 07777);
    if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
        snprintf(s->what, sizeof s->what,
                 "none (%s belongs to uid %u, not to root: another user could change it)", s->dir,
                 (unsigned)sb.st_uid);
    } else if (sb.st_mode & S_IWOTH) {
        snprintf(s->what, sizeof s->what,
                 "none (%s is writable by every user (mode %04o): only a group may share it)",
                 s->dir, mode);
    } else if (faccessat(fd, ".", R_OK | W_OK | X_OK, AT_EACCESS) != 0) {
        snprintf(s->what, sizeof s->what,
                 "none (%s (group %s, mode %04o) is not writable by this user: not a member of "
                 "group %s)",
                 s->dir, grp, mode, grp);
    } else {
        s->dirfd = fd;
        s->gid = sb.st_gid;
        card_key(t, s->key, sizeof s->key);
        snprintf(s->what, sizeof s->what, "%s (group %s)", s->dir, grp);
        return;
    }
    close(fd);
}

void statedir_close(card_state *s)
{
    if (s->dirfd >= 0)
        close(s->dirfd);
    s->dirfd = -1;
}

void statedir_name(const card_state *s, const char *prefix, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s-%s", s->dir, prefix, s->key);
}

/* The rules for a file in the directory (see the top of this file). */
static int check_fd(const card_state *s, int fd, const char *prefix, char *why, size_t cap)
{
    struct stat sb;
    char name[300];
    statedir_name(s, prefix, name, sizeof name);
    if (fstat(fd, &sb) != 0) {
        snprintf(why, cap, "%s: %s", name, strerror(errno));
        return -1;
    }
    if (!S_ISREG(sb.st_mode))
        snprintf(why, cap, "%s is not a regular file", name);
    else if (sb.st_nlink != 1)
        snprintf(why, cap, "%s has %lu links", name, (unsigned long)sb.st_nlink);
    else if (sb.st_mode & S_IWOTH)
        snprintf(why, cap, "%s is writable by every user (mode %04o)", name,
                 (unsigned)(sb.st_mode & 07777));
    else if (sb.st_uid != 0 && sb.st_uid != geteuid() && sb.st_gid != s->gid)
        snprintf(why, cap, "%s belongs to uid %u gid %u, outside the directory's group", name,
                 (unsigned)sb.st_uid, (unsigned)sb.st_gid);
    else
        return 0;
    return -1;
}

/* A file we just created: the directory's group, read-write for it, nothing for others. */
static void own_new(const card_state *s, int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) == 0 && sb.st_gid != s->gid)
        (void)!fchown(fd, (uid_t)-1, s->gid);
    (void)fchmod(fd, 0660); /* the umask may have taken the group's write */
}

static void open_error(const card_state *s, const char *prefix, int e, char *why, size_t cap)
{
    char name[300];
    statedir_name(s, prefix, name, sizeof name);
    snprintf(why, cap, "%s %s", name,
             e == ELOOP   ? "is a symbolic link"
             : e == ENXIO ? "is not a regular file"
                          : strerror(e));
}

/*
 * A fresh PREFIX-KEY written by init under a temporary name and renamed into
 * place (replacing what is there, or without replace only where nothing is: then
 * -1 with why empty when another process was quicker).
 */
static int publish(const card_state *s, const char *prefix, int (*init)(int fd), int replace,
                   char *why, size_t cap)
{
    char rel[64], tmp[96];
    snprintf(rel, sizeof rel, "%s-%s", prefix, s->key);
    why[0] = '\0';
    int fd = -1;
    for (unsigned i = 0; i < 16 && fd < 0; i++) {
        snprintf(tmp, sizeof tmp, ".%s.%ld.%u", rel, (long)getpid(), i);
        fd = openat(s->dirfd, tmp, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0660);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        open_error(s, prefix, errno, why, cap);
        return -1;
    }
    own_new(s, fd);
    int e = 0;
    if (init(fd) != 0 || check_fd(s, fd, prefix, why, cap) != 0)
        e = errno != 0 ? errno : EIO;
    else if (renameat2(s->dirfd, tmp, s->dirfd, rel, replace ? 0 : RENAME_NOREPLACE) != 0)
        e = errno;
    if (e != 0) {
        if (why[0] == '\0' && !(e == EEXIST && !replace))
            open_error(s, prefix, e, why, cap);
        unlinkat(s->dirfd, tmp, 0);
        close(fd);
        return -1;
    }
    return fd;
}

static int no_init(int fd)
{
    (void)fd;
    return 0;
}

int statedir_file(const card_state *s, const char *prefix, int create, char *why, size_t cap)
{
    char rel[64];
    snprintf(rel, sizeof rel, "%s-%s", prefix, s->key);
    const int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
    int fd = openat(s->dirfd, rel, flags);
    if (fd < 0 && errno == ENOENT && create) {
        /* made under another name with its mode and group, then put in place unless someone
           was quicker: nobody ever sees it half made */
        fd = publish(s, prefix, no_init, 0, why, cap);
        if (fd >= 0 || why[0] != '\0')
            return fd;
        fd = openat(s->dirfd, rel, flags);
    }
    if (fd < 0 && errno == ENOENT && !create)
        return -2;
    if (fd < 0) {
        open_error(s, prefix, errno, why, cap);
        return -1;
    }
    if (check_fd(s, fd, prefix, why, cap) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

int statedir_publish(const card_state *s, const char *prefix, int (*init)(int fd), char *why,
                     size_t cap)
{
    return publish(s, prefix, init, 1, why, cap);
}

int statedir_same_file(const card_state *s, const char *prefix, int fd, off_t size)
{
    char rel[64];
    struct stat a, b;
    snprintf(rel, sizeof rel, "%s-%s", prefix, s->key);
    return fstatat(s->dirfd, rel, &a, AT_SYMLINK_NOFOLLOW) == 0 && fstat(fd, &b) == 0 &&
           a.st_ino == b.st_ino && a.st_dev == b.st_dev && b.st_size == size;
}

int statedir_lock(int fd, off_t start, off_t len, short type)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, F_OFD_SETLK, &fl);
}

int statedir_locked_elsewhere(int fd, off_t start, off_t len)
{
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0)
        return 1; /* cannot tell: count it as held */
    return fl.l_type != F_UNLCK;
}
