/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Who a process is, for the records shared between processes (chanrec.c,
 * turnstile.c), and when such a record's owner is provably gone.
 *
 * A pid means something only in its own PID namespace: a process in a
 * container has pid 7 there and another pid on the host. So a record holds
 * pid, start time and the PID namespace (the inode of /proc/self/ns/pid),
 * and death is proven only for a record of our own namespace: the pid does
 * not exist (ESRCH), or it exists with another start time (reused). Start
 * times are read from /proc only when /proc belongs to our namespace (a
 * process that unshared its PID namespace but kept the host's /proc would
 * read someone else's entry). Anything else is "maybe alive".
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "card_internal.h"

/* Fields 1 (pid) and 22 (start time, clock ticks since boot) of a /proc/.../stat file. */
static int read_stat(const char *path, long *pid, unsigned long long *start)
{
    char buf[1024];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    *pid = strtol(buf, NULL, 10);
    const char *p = strrchr(buf, ')'); /* the command name may contain spaces and ')' */
    if (p == NULL)
        return -1;
    p++; /* the space before field 3 (state); walk to the one before field 22 */
    for (int field = 3; field < 22 && p != NULL; field++)
        p = strchr(p + 1, ' ');
    if (p == NULL)
        return -1;
    *start = strtoull(p + 1, NULL, 10);
    return 0;
}

void owner_probe_self(card_self *me)
{
    struct stat sb;
    me->ns = stat("/proc/self/ns/pid", &sb) == 0 ? (unsigned long long)sb.st_ino : 0;
    long pid = 0;
    unsigned long long start = 0;
    /* /proc/self is resolved in the namespace /proc was mounted for */
    me->proc_mine = read_stat("/proc/self/stat", &pid, &start) == 0 && pid == (long)getpid();
}

void owner_self(const card_self *me, card_owner *o)
{
    long pid = 0;
    unsigned long long start = 0;
    o->pid = (long)getpid();
    o->ns = me->ns;
    /* the start time is the task's whatever the namespace of /proc: /proc/self is ours */
    o->start = read_stat("/proc/self/stat", &pid, &start) == 0 ? start : 0;
}

int owner_provably_dead(const card_owner *o, const card_self *me)
{
    if (o->pid <= 0 || o->ns == 0 || me->ns == 0 || o->ns != me->ns)
        return 0; /* another namespace, or one we cannot name: never acted on */
    if (kill((pid_t)o->pid, 0) != 0 && errno == ESRCH)
        return 1;
    if (!me->proc_mine || o->start == 0)
        return 0;
    char path[64];
    long pid = 0;
    unsigned long long start = 0;
    snprintf(path, sizeof path, "/proc/%ld/stat", o->pid);
    if (read_stat(path, &pid, &start) != 0)
        return 0; /* hidden (hidepid) or just gone: not proven */
    return pid == o->pid && start != 0 && start != o->start; /* the pid was reused */
}
