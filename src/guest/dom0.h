/* The dom0 role of tinyx-init (src/guest/dom0.c). */
#ifndef TINYX_GUEST_DOM0_H
#define TINYX_GUEST_DOM0_H

/* 1 when the image is a Xen dom0 (/etc/tinyx/dom0.conf exists). */
int dom0_role(void);
/* Run dom0.conf: modules, xenfs, xenstored, xen-init-dom0, bridge. */
void dom0_setup(void);
/* Start `xl create -c` for the guest in /guest, if there is one. */
void dom0_guest(void);

#endif
