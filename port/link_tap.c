#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "lwiptap/link.h"

/* <net/if.h> clashes with <linux/if.h>; this is the one function we need from it. */
extern unsigned int if_nametoindex(const char *ifname);

struct tap_link {
    struct link base;
    int fd;
};

static ssize_t tap_recv(struct link *self, uint8_t *buf, size_t cap, char *err)
{
    struct tap_link *tap = (struct tap_link *)self;
    for (;;) {
        ssize_t n = read(tap->fd, buf, cap);
        if (n >= 0) {
            return n;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            return 0;
        }
        snprintf(err, LINK_ERR_LEN, "tap read: %s", strerror(errno));
        return -1;
    }
}

static int tap_send(struct link *self, const uint8_t *frame, size_t len, char *err)
{
    struct tap_link *tap = (struct tap_link *)self;
    ssize_t n;
    do {
        n = write(tap->fd, frame, len);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(err, LINK_ERR_LEN, "tap write: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int tap_wait_fd(const struct link *self)
{
    return ((const struct tap_link *)self)->fd;
}

static void tap_destroy(struct link *self)
{
    struct tap_link *tap = (struct tap_link *)self;
    close(tap->fd);
    free(tap);
}

static const struct link_ops tap_ops = {tap_recv, tap_send, tap_wait_fd, tap_destroy};

/* Who should own the tap in the suggested fix: the person behind sudo, or the
 * real user. $USER is not trusted: setpriv and su can leave it naming root. */
static const char *user_name(void)
{
    const char *sudo_user = getenv("SUDO_USER");
    if (getuid() == 0 && sudo_user != NULL && *sudo_user != '\0') {
        return sudo_user;
    }
    struct passwd *pw = getpwuid(getuid());
    return (pw != NULL && pw->pw_name != NULL) ? pw->pw_name : "$USER";
}

static void explain_attach_failure(const char *name, int exists, int saved_errno, char *err)
{
    const char *user = user_name();
    if (saved_errno == EPERM && exists) {
        snprintf(err, LINK_ERR_LEN,
                 "%s exists but this user may not attach to it (it belongs to someone else). "
                 "Fix: sudo ip tuntap del dev %s mode tap && "
                 "sudo ip tuntap add dev %s mode tap user %s && sudo ip link set %s up",
                 name, name, name, user, name);
    } else if (saved_errno == EPERM) {
        snprintf(err, LINK_ERR_LEN,
                 "%s does not exist and creating it needs CAP_NET_ADMIN. "
                 "Fix: sudo ip tuntap add dev %s mode tap user %s && sudo ip link set %s up",
                 name, name, user, name);
    } else if (saved_errno == EBUSY) {
        snprintf(err, LINK_ERR_LEN, "%s is busy: another process is attached to it", name);
    } else if (saved_errno == EINVAL) {
        snprintf(err, LINK_ERR_LEN,
                 "%s exists but is not a TAP device. Fix: pick another name, or "
                 "sudo ip link del %s && sudo ip tuntap add dev %s mode tap user %s",
                 name, name, name, user);
    } else {
        snprintf(err, LINK_ERR_LEN, "cannot attach to %s: %s", name, strerror(saved_errno));
    }
}

struct link *link_tap_open(const char *name, int *created, char *err)
{
    if (name == NULL || *name == '\0' || strlen(name) >= IFNAMSIZ || strchr(name, '/') != NULL) {
        snprintf(err, LINK_ERR_LEN, "invalid tap name '%s' (1 to %d characters, no '/')", name ? name : "",
                 IFNAMSIZ - 1);
        return NULL;
    }
    int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO) {
            snprintf(err, LINK_ERR_LEN, "/dev/net/tun is missing: load the tun driver (sudo modprobe tun)");
        } else if (e == EACCES || e == EPERM) {
            snprintf(err, LINK_ERR_LEN,
                     "cannot open /dev/net/tun: %s. Fix: run as root, or make it usable "
                     "(sudo chmod 0666 /dev/net/tun, Debian's default) and attach to a tap you own: "
                     "sudo ip tuntap add dev %s mode tap user %s && sudo ip link set %s up",
                     strerror(e), name, user_name(), name);
        } else {
            snprintf(err, LINK_ERR_LEN, "cannot open /dev/net/tun: %s", strerror(e));
        }
        return NULL;
    }
    int existed = if_nametoindex(name) != 0;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        explain_attach_failure(name, existed, errno, err);
        close(fd);
        return NULL;
    }
    struct tap_link *tap = calloc(1, sizeof *tap);
    if (tap == NULL) {
        snprintf(err, LINK_ERR_LEN, "out of memory");
        close(fd);
        return NULL;
    }
    tap->base.ops = &tap_ops;
    tap->fd = fd;
    if (created != NULL) {
        *created = !existed;
    }
    return &tap->base;
}
