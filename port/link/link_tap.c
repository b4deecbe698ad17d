#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "lwiptap/link.h"

/* <net/if.h> clashes with <linux/if.h>; this is the one function we need from it. */
extern unsigned int if_nametoindex(const char *ifname);

struct tap_link {
    struct link base;
    int fd;
    int vnet_hdr; /* each frame is preceded by a struct virtio_net_hdr */
    int offloads; /* and the kernel agreed to TAP_OFFLOADS */
};

/* virtio_net_hdr fields are little-endian on a tap unless TUNSETVNETBE says
 * otherwise; every host we build for is little-endian, which the build checks. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "virtio_net_hdr is read in host byte order");

static void meta_from_vnet(const struct virtio_net_hdr *h, struct link_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
        meta->csum = LINK_CSUM_PARTIAL;
        meta->csum_start = h->csum_start;
        meta->csum_offset = h->csum_offset;
    } else if (h->flags & VIRTIO_NET_HDR_F_DATA_VALID) {
        meta->csum = LINK_CSUM_VALID;
    }
    switch (h->gso_type & (uint8_t)~VIRTIO_NET_HDR_GSO_ECN) {
    case VIRTIO_NET_HDR_GSO_TCPV4:
        meta->gso_type = LINK_GSO_TCPV4;
        meta->gso_size = h->gso_size;
        break;
    case VIRTIO_NET_HDR_GSO_TCPV6:
        meta->gso_type = LINK_GSO_TCPV6;
        meta->gso_size = h->gso_size;
        break;
    default:
        break; /* UDP fragmentation offload is never enabled */
    }
}

static void vnet_from_meta(const struct link_meta *meta, struct virtio_net_hdr *h)
{
    memset(h, 0, sizeof *h);
    if (meta == NULL) {
        return;
    }
    if (meta->csum == LINK_CSUM_PARTIAL) {
        h->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h->csum_start = meta->csum_start;
        h->csum_offset = meta->csum_offset;
    }
    if (meta->gso_type != LINK_GSO_NONE) {
        h->gso_type = meta->gso_type == LINK_GSO_TCPV4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
        h->gso_size = meta->gso_size;
        h->hdr_len = meta->csum_start; /* a hint only: the kernel re-parses the headers */
    }
}

static ssize_t tap_recv(struct link *self, uint8_t *buf, size_t cap, struct link_meta *meta, char *err)
{
    struct tap_link *tap = (struct tap_link *)self;
    struct virtio_net_hdr hdr;
    struct iovec iov[2] = {{&hdr, sizeof hdr}, {buf, cap}};
    const struct iovec *first = tap->vnet_hdr ? &iov[0] : &iov[1];
    int count = tap->vnet_hdr ? 2 : 1;
    for (;;) {
        ssize_t n = readv(tap->fd, first, count);
        if (n >= 0) {
            if (!tap->vnet_hdr) {
                memset(meta, 0, sizeof *meta);
                return n;
            }
            if (n < (ssize_t)sizeof hdr) {
                snprintf(err, LINK_ERR_LEN, "tap read: %zd bytes, shorter than its virtio_net_hdr", n);
                return -1;
            }
            meta_from_vnet(&hdr, meta);
            return n - (ssize_t)sizeof hdr;
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

static int tap_send(struct link *self, const uint8_t *frame, size_t len, const struct link_meta *meta,
                    char *err)
{
    struct tap_link *tap = (struct tap_link *)self;
    struct virtio_net_hdr hdr;
    vnet_from_meta(meta, &hdr);
    /* writev() only reads the frame; iovec has no const. */
    union {
        const uint8_t *in;
        void *base;
    } frame_base = {frame};
    struct iovec iov[2] = {{&hdr, sizeof hdr}, {frame_base.base, len}};
    const struct iovec *first = tap->vnet_hdr ? &iov[0] : &iov[1];
    ssize_t n;
    do {
        n = writev(tap->fd, first, tap->vnet_hdr ? 2 : 1);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        snprintf(err, LINK_ERR_LEN, "tap write: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static unsigned tap_caps(const struct link *self)
{
    return ((const struct tap_link *)self)->offloads ? LINK_CAP_OFFLOAD : 0;
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

static const struct link_ops tap_ops = {tap_recv, tap_send, tap_wait_fd, tap_destroy, tap_caps};

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
        /* It may be lo or a real NIC: never suggest deleting it. */
        snprintf(err, LINK_ERR_LEN,
                 "%s exists and is not a TAP device: lwip-tap only attaches to taps. Fix: pick another name, "
                 "e.g. --tap tap0 (sudo ip tuntap add dev tap0 mode tap user %s && sudo ip link set tap0 up)",
                 name, user);
    } else {
        snprintf(err, LINK_ERR_LEN, "cannot attach to %s: %s", name, strerror(saved_errno));
    }
}

/* Offloads the kernel may use towards us: partial checksums and TCP
 * super-frames. Both directions follow from it, since a tap accepts from us
 * whatever it may hand us. */
#define TAP_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)

static int set_offloads(int fd, int offload, int *offloaded)
{
    *offloaded = 0;
    if (!offload) {
        /* Features outlive the descriptor on a persistent tap: without this,
         * super-frames left on by an earlier run would reach a reader that
         * cannot tell them from a frame. */
        return ioctl(fd, TUNSETOFFLOAD, 0UL) == 0 || errno == EINVAL ? 0 : -1;
    }
    int hdr_len = (int)sizeof(struct virtio_net_hdr);
    if (ioctl(fd, TUNSETVNETHDRSZ, &hdr_len) != 0) {
        return -1;
    }
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)TAP_OFFLOADS) == 0) {
        *offloaded = 1;
    } else if (ioctl(fd, TUNSETOFFLOAD, 0UL) != 0) {
        return -1;
    }
    return 0;
}

struct link *link_tap_open(const char *name, int offload, int *created, int *offloaded, char *err)
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
            struct stat st;
            unsigned mode = stat("/dev/net/tun", &st) == 0 ? (unsigned)(st.st_mode & 0777) : 0;
            /* A group, not 0666: that would let every local user attach to any ownerless tap. */
            snprintf(err, LINK_ERR_LEN,
                     "cannot open /dev/net/tun (mode %04o): %s. Fix: run as root, or let a group use it: "
                     "sudo groupadd -f netdev && sudo chgrp netdev /dev/net/tun && sudo chmod 0660 "
                     "/dev/net/tun && "
                     "sudo usermod -aG netdev %s (log in again), then attach to a tap you own: "
                     "sudo ip tuntap add dev %s mode tap user %s && sudo ip link set %s up",
                     mode, strerror(e), user_name(), name, user_name(), name);
        } else {
            snprintf(err, LINK_ERR_LEN, "cannot open /dev/net/tun: %s", strerror(e));
        }
        return NULL;
    }
    int existed = if_nametoindex(name) != 0;
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = (short)(IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0));
    memcpy(ifr.ifr_name, name, strlen(name));
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        explain_attach_failure(name, existed, errno, err);
        close(fd);
        return NULL;
    }
    int has_offloads = 0;
    if (set_offloads(fd, offload, &has_offloads) != 0) {
        snprintf(err, LINK_ERR_LEN, "cannot set the offloads of %s: %s", name, strerror(errno));
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
    tap->vnet_hdr = offload;
    tap->offloads = has_offloads;
    if (created != NULL) {
        *created = !existed;
    }
    if (offloaded != NULL) {
        *offloaded = has_offloads;
    }
    return &tap->base;
}
