/* probe --accel auto: does KVM really run guests here? */
#include "probe/probe.h"

#include <fcntl.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* a /dev/kvm that runs a hlt guest may still fail real guests (seen:
 * "KVM internal error" without vmx/svm): require the CPU flags too */
static int cpu_has_vmx(void)
{
	char *ci = NULL;
	size_t len;
	int hw = 0;

	if (read_file("/proc/cpuinfo", &ci, &len, 1 << 22) == 0)
		hw = strstr(ci, " vmx") || strstr(ci, " svm");
	free(ci);
	return hw;
}

int probe_kvm_works(void)
{
	int kvm = -1, vm = -1, vcpu = -1, ok = 0;
	void *mem = MAP_FAILED, *run = MAP_FAILED;
	long run_size = 0;
	struct kvm_userspace_memory_region region;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (!cpu_has_vmx())
		return 0;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0 || ioctl(kvm, KVM_GET_API_VERSION, 0) != 12)
		goto out;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		goto out;
	mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		goto out;
	((unsigned char *)mem)[0] = 0xf4; /* hlt */
	memset(&region, 0, sizeof(region));
	region.guest_phys_addr = 0x1000;
	region.memory_size = 4096;
	region.userspace_addr = (unsigned long)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		goto out;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (vcpu < 0 || run_size <= 0)
		goto out;
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		goto out;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		goto out;
	memset(&regs, 0, sizeof(regs));
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		goto out;
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		goto out;
	ok = ((struct kvm_run *)run)->exit_reason == KVM_EXIT_HLT;
out:
	if (run != MAP_FAILED)
		munmap(run, (size_t)run_size);
	if (mem != MAP_FAILED)
		munmap(mem, 4096);
	if (vcpu >= 0)
		close(vcpu);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
	return ok;
}
