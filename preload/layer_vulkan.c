/* layer_vulkan.c - VK_LAYER_BUFTRACE, the Vulkan profile's interception
 * point (common/profiles/vulkan.def).
 *
 * Vulkan applications call device commands through pointers they get from
 * vkGetDeviceProcAddr, never through exported symbols, so the recorder
 * cannot patch its way in as it does for tt-metal and OpenCL; a layer is
 * the ecosystem's own way.  The layer lives in libbuftrace.so itself: the
 * manifest next to the library (VkLayer_buftrace.json, written by the
 * build) names this file, so the loader's dlopen finds the copy already
 * preloaded and the layer records into the same trace.  `buftrace record`
 * adds the manifest's directory to VK_ADD_LAYER_PATH and the layer's name
 * first in VK_INSTANCE_LAYERS (closest to the application: it sees the
 * handles the application sees, whatever layers below it wrap).
 *
 * Every call goes down the chain unchanged, with the same arguments, and
 * its result comes back unchanged; the layer only reads arguments, the
 * create-info structures and the handles the call wrote.  It keeps per
 * instance and per device the next layer's entry points (a short table
 * under a mutex: a handful of instances and devices in any program).
 * Each recorded call is one event (vkBind*Memory2: one per bind), made
 * after the call for creates and binds (the handle and status are known
 * then) and before it for destroys (the handle is still valid). */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <vulkan/vk_layer.h>
#include <vulkan/vulkan.h>
#include "recorder.h"

#define MAX_INSTANCES 32
#define MAX_PDEVS 128
#define MAX_DEVICES 128

struct vk_instance {
	VkInstance h;
	PFN_vkGetInstanceProcAddr gipa;
	PFN_vkDestroyInstance destroy;
	PFN_vkEnumeratePhysicalDevices enum_pdevs;
	PFN_vkEnumeratePhysicalDeviceGroups enum_groups;
	PFN_vkGetPhysicalDeviceMemoryProperties mem_props;
};

struct vk_device {
	VkDevice h;
	PFN_vkGetDeviceProcAddr gdpa;
	PFN_vkDestroyDevice destroy;
	PFN_vkAllocateMemory allocate;
	PFN_vkFreeMemory free;
	PFN_vkCreateBuffer create_buffer;
	PFN_vkDestroyBuffer destroy_buffer;
	PFN_vkCreateImage create_image;
	PFN_vkDestroyImage destroy_image;
	PFN_vkBindBufferMemory bind_buffer;
	PFN_vkBindBufferMemory2 bind_buffer2, bind_buffer2_khr;
	PFN_vkBindImageMemory bind_image;
	PFN_vkGetImageMemoryRequirements image_reqs;
	PFN_vkGetImageMemoryRequirements2 image_reqs2, image_reqs2_khr;
	PFN_vkBindImageMemory2 bind_image2, bind_image2_khr;
	VkPhysicalDeviceMemoryProperties mem;
};

static pthread_mutex_t vk_lock = PTHREAD_MUTEX_INITIALIZER;
static struct vk_instance instances[MAX_INSTANCES];
static struct {
	VkPhysicalDevice h;
	struct vk_instance *in;
} pdevs[MAX_PDEVS];
static struct vk_device devices[MAX_DEVICES];
static atomic_int said_full;
/* The next layer's entry points as last seen: for an instance or device
 * our tables had no room for, its commands are handed out straight from
 * the layer below (unrecorded, but the program works as without us). */
static _Atomic(PFN_vkGetInstanceProcAddr) any_gipa;
static _Atomic(PFN_vkGetDeviceProcAddr) any_gdpa;

static void table_full(const char *what)
{
	if (!atomic_exchange(&said_full, 1))
		bt_log("buftrace: Vulkan layer: more than %d %s at once; the others pass through unrecorded", what[0] == 'i' ? MAX_INSTANCES : MAX_DEVICES, what);
}

static struct vk_instance *instance_of(VkInstance h)
{
	struct vk_instance *r = NULL;
	pthread_mutex_lock(&vk_lock);
	for (int i = 0; i < MAX_INSTANCES && !r; i++)
		if (instances[i].h == h && h)
			r = &instances[i];
	pthread_mutex_unlock(&vk_lock);
	return r;
}

static struct vk_device *device_of(VkDevice h)
{
	struct vk_device *r = NULL;
	pthread_mutex_lock(&vk_lock);
	for (int i = 0; i < MAX_DEVICES && !r; i++)
		if (devices[i].h == h && h)
			r = &devices[i];
	pthread_mutex_unlock(&vk_lock);
	return r;
}

/* --- recording ----------------------------------------------------------- */

static atomic_uint seen_epoch;

static void record(enum bt_hook_id hook, unsigned flags, const uint64_t *args, int nargs)
{
	struct bt_thread *t = bt_cfg.hook_off[hook] ? NULL : bt_thread_enter_call();
	if (!t)
		return;
	uint32_t stack = bt_stack_capture_t(t);
	unsigned ep = atomic_load_explicit(&bt_dl_epoch, memory_order_relaxed);
	if (ep != atomic_load_explicit(&seen_epoch, memory_order_relaxed) && !t->no_loader) {
		/* objects were loaded (the driver, other layers): their modules
		 * must be in the trace before stacks through them */
		atomic_store_explicit(&seen_epoch, ep, memory_order_relaxed);
		bt_modules_scan();
		bt_resolve_report();
	}
	bt_emit_event(t, hook, flags, stack, bt_pystack_capture_t(t, &stack, NULL), args, nargs);
	bt_thread_leave(t);
}

#define H(x) ((uint64_t)(uintptr_t)(x))

/* --- instance level ------------------------------------------------------ */

static VkResult VKAPI_CALL bt_vkCreateInstance(const VkInstanceCreateInfo *ci, const VkAllocationCallbacks *alloc,
					       VkInstance *out)
{
	VkLayerInstanceCreateInfo *link = (VkLayerInstanceCreateInfo *)ci->pNext;
	while (link && !(link->sType == VK_STRUCTURE_TYPE_LOADER_INSTANCE_CREATE_INFO && link->function == VK_LAYER_LINK_INFO))
		link = (VkLayerInstanceCreateInfo *)link->pNext;
	if (!link || !link->u.pLayerInfo)
		return VK_ERROR_INITIALIZATION_FAILED;
	PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	PFN_vkCreateInstance create = (PFN_vkCreateInstance)gipa(VK_NULL_HANDLE, "vkCreateInstance");
	if (!create)
		return VK_ERROR_INITIALIZATION_FAILED;
	link->u.pLayerInfo = link->u.pLayerInfo->pNext; /* the next layer's turn */
	atomic_store(&any_gipa, gipa);
	VkResult r = create(ci, alloc, out);
	if (r != VK_SUCCESS)
		return r;
	pthread_mutex_lock(&vk_lock);
	int i = 0;
	while (i < MAX_INSTANCES && instances[i].h)
		i++;
	if (i < MAX_INSTANCES) {
		struct vk_instance *in = &instances[i];
		in->gipa = gipa;
		in->destroy = (PFN_vkDestroyInstance)gipa(*out, "vkDestroyInstance");
		in->enum_pdevs = (PFN_vkEnumeratePhysicalDevices)gipa(*out, "vkEnumeratePhysicalDevices");
		in->enum_groups = (PFN_vkEnumeratePhysicalDeviceGroups)gipa(*out, "vkEnumeratePhysicalDeviceGroups");
		in->mem_props = (PFN_vkGetPhysicalDeviceMemoryProperties)gipa(*out, "vkGetPhysicalDeviceMemoryProperties");
		in->h = *out;
	}
	pthread_mutex_unlock(&vk_lock);
	if (i == MAX_INSTANCES)
		table_full("instances");
	return r;
}

static void VKAPI_CALL bt_vkDestroyInstance(VkInstance h, const VkAllocationCallbacks *alloc)
{
	struct vk_instance *in = instance_of(h);
	PFN_vkGetInstanceProcAddr next = atomic_load(&any_gipa);
	PFN_vkDestroyInstance destroy = in ? in->destroy
				      : next && h ? (PFN_vkDestroyInstance)next(h, "vkDestroyInstance") : NULL;
	if (in) {
		pthread_mutex_lock(&vk_lock);
		for (int i = 0; i < MAX_PDEVS; i++)
			if (pdevs[i].in == in)
				pdevs[i].h = VK_NULL_HANDLE, pdevs[i].in = NULL;
		memset(in, 0, sizeof *in);
		pthread_mutex_unlock(&vk_lock);
	}
	if (destroy)
		destroy(h, alloc);
}

static void remember_pdevs(struct vk_instance *in, const VkPhysicalDevice *p, uint32_t n)
{
	pthread_mutex_lock(&vk_lock);
	for (uint32_t k = 0; k < n; k++) {
		int i, free_slot = -1;
		for (i = 0; i < MAX_PDEVS; i++) {
			if (pdevs[i].h == p[k])
				break;
			if (!pdevs[i].h && free_slot < 0)
				free_slot = i;
		}
		if (i == MAX_PDEVS && free_slot >= 0)
			i = free_slot;
		if (i < MAX_PDEVS) {
			pdevs[i].h = p[k];
			pdevs[i].in = in;
		}
	}
	pthread_mutex_unlock(&vk_lock);
}

static VkResult VKAPI_CALL bt_vkEnumeratePhysicalDevices(VkInstance h, uint32_t *n, VkPhysicalDevice *out)
{
	struct vk_instance *in = instance_of(h);
	if (!in || !in->enum_pdevs) {
		PFN_vkGetInstanceProcAddr next = atomic_load(&any_gipa);
		PFN_vkEnumeratePhysicalDevices f = next ? (PFN_vkEnumeratePhysicalDevices)next(h, "vkEnumeratePhysicalDevices") : NULL;
		return f ? f(h, n, out) : VK_ERROR_INITIALIZATION_FAILED;
	}
	VkResult r = in->enum_pdevs(h, n, out);
	if ((r == VK_SUCCESS || r == VK_INCOMPLETE) && out)
		remember_pdevs(in, out, *n);
	return r;
}

static VkResult VKAPI_CALL bt_vkEnumeratePhysicalDeviceGroups(VkInstance h, uint32_t *n,
							      VkPhysicalDeviceGroupProperties *out)
{
	struct vk_instance *in = instance_of(h);
	if (!in || !in->enum_groups) {
		PFN_vkGetInstanceProcAddr next = atomic_load(&any_gipa);
		PFN_vkEnumeratePhysicalDeviceGroups f =
			next ? (PFN_vkEnumeratePhysicalDeviceGroups)next(h, "vkEnumeratePhysicalDeviceGroups") : NULL;
		return f ? f(h, n, out) : VK_ERROR_INITIALIZATION_FAILED;
	}
	VkResult r = in->enum_groups(h, n, out);
	if ((r == VK_SUCCESS || r == VK_INCOMPLETE) && out)
		for (uint32_t g = 0; g < *n; g++)
			remember_pdevs(in, out[g].physicalDevices, out[g].physicalDeviceCount);
	return r;
}

static struct vk_instance *instance_of_pdev(VkPhysicalDevice p)
{
	struct vk_instance *r = NULL;
	pthread_mutex_lock(&vk_lock);
	for (int i = 0; i < MAX_PDEVS && !r; i++)
		if (pdevs[i].h == p)
			r = pdevs[i].in;
	/* enumerated before our layer was in the chain (cannot happen with
	 * the loader): the only instance, if there is one */
	for (int i = 0; i < MAX_INSTANCES && !r; i++)
		if (instances[i].h)
			r = &instances[i];
	pthread_mutex_unlock(&vk_lock);
	return r;
}

/* --- device level -------------------------------------------------------- */

static VkResult VKAPI_CALL bt_vkCreateDevice(VkPhysicalDevice pd, const VkDeviceCreateInfo *ci,
					     const VkAllocationCallbacks *alloc, VkDevice *out)
{
	VkLayerDeviceCreateInfo *link = (VkLayerDeviceCreateInfo *)ci->pNext;
	while (link && !(link->sType == VK_STRUCTURE_TYPE_LOADER_DEVICE_CREATE_INFO && link->function == VK_LAYER_LINK_INFO))
		link = (VkLayerDeviceCreateInfo *)link->pNext;
	struct vk_instance *in = instance_of_pdev(pd);
	if (!link || !link->u.pLayerInfo || !in)
		return VK_ERROR_INITIALIZATION_FAILED;
	PFN_vkGetInstanceProcAddr gipa = link->u.pLayerInfo->pfnNextGetInstanceProcAddr;
	PFN_vkGetDeviceProcAddr gdpa = link->u.pLayerInfo->pfnNextGetDeviceProcAddr;
	PFN_vkCreateDevice create = (PFN_vkCreateDevice)gipa(in->h, "vkCreateDevice");
	if (!create)
		return VK_ERROR_INITIALIZATION_FAILED;
	link->u.pLayerInfo = link->u.pLayerInfo->pNext;
	atomic_store(&any_gdpa, gdpa);
	VkResult r = create(pd, ci, alloc, out);
	uint64_t a[2] = { r == VK_SUCCESS ? H(*out) : 0, (uint64_t)(int64_t)r };
	if (r == VK_SUCCESS) {
		pthread_mutex_lock(&vk_lock);
		int i = 0;
		while (i < MAX_DEVICES && devices[i].h)
			i++;
		if (i < MAX_DEVICES) {
			struct vk_device *d = &devices[i];
			VkDevice h = *out;
			memset(d, 0, sizeof *d);
			d->gdpa = gdpa;
			d->destroy = (PFN_vkDestroyDevice)gdpa(h, "vkDestroyDevice");
			d->allocate = (PFN_vkAllocateMemory)gdpa(h, "vkAllocateMemory");
			d->free = (PFN_vkFreeMemory)gdpa(h, "vkFreeMemory");
			d->create_buffer = (PFN_vkCreateBuffer)gdpa(h, "vkCreateBuffer");
			d->destroy_buffer = (PFN_vkDestroyBuffer)gdpa(h, "vkDestroyBuffer");
			d->create_image = (PFN_vkCreateImage)gdpa(h, "vkCreateImage");
			d->destroy_image = (PFN_vkDestroyImage)gdpa(h, "vkDestroyImage");
			d->bind_buffer = (PFN_vkBindBufferMemory)gdpa(h, "vkBindBufferMemory");
			d->bind_buffer2 = (PFN_vkBindBufferMemory2)gdpa(h, "vkBindBufferMemory2");
			d->bind_buffer2_khr = (PFN_vkBindBufferMemory2)gdpa(h, "vkBindBufferMemory2KHR");
			d->bind_image = (PFN_vkBindImageMemory)gdpa(h, "vkBindImageMemory");
			d->image_reqs = (PFN_vkGetImageMemoryRequirements)gdpa(h, "vkGetImageMemoryRequirements");
			d->image_reqs2 = (PFN_vkGetImageMemoryRequirements2)gdpa(h, "vkGetImageMemoryRequirements2");
			d->image_reqs2_khr = (PFN_vkGetImageMemoryRequirements2)gdpa(h, "vkGetImageMemoryRequirements2KHR");
			d->bind_image2 = (PFN_vkBindImageMemory2)gdpa(h, "vkBindImageMemory2");
			d->bind_image2_khr = (PFN_vkBindImageMemory2)gdpa(h, "vkBindImageMemory2KHR");
			if (in->mem_props) /* a query, as every layer makes: nothing changes */
				in->mem_props(pd, &d->mem);
			d->h = h;
		}
		pthread_mutex_unlock(&vk_lock);
		if (i == MAX_DEVICES)
			table_full("devices");
	}
	record(BT_HOOK_VK_CREATE_DEVICE, BT_EV_EXIT, a, 2);
	return r;
}

static void VKAPI_CALL bt_vkDestroyDevice(VkDevice h, const VkAllocationCallbacks *alloc)
{
	struct vk_device *d = device_of(h);
	PFN_vkDestroyDevice destroy = d ? d->destroy : NULL;
	if (!h)
		return;
	uint64_t a[1] = { H(h) };
	record(BT_HOOK_VK_DESTROY_DEVICE, 0, a, 1);
	if (d) {
		pthread_mutex_lock(&vk_lock);
		memset(d, 0, sizeof *d);
		pthread_mutex_unlock(&vk_lock);
	}
	if (destroy)
		destroy(h, alloc);
}

static VkResult VKAPI_CALL bt_vkAllocateMemory(VkDevice h, const VkMemoryAllocateInfo *ai,
					       const VkAllocationCallbacks *alloc, VkDeviceMemory *out)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->allocate)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->allocate(h, ai, alloc, out);
	uint32_t type = ai->memoryTypeIndex;
	uint64_t heap = type < d->mem.memoryTypeCount ? d->mem.memoryTypes[type].heapIndex : UINT64_MAX;
	uint64_t a[6] = { r == VK_SUCCESS ? H(*out) : 0, H(h), ai->allocationSize, type, heap, (uint64_t)(int64_t)r };
	record(BT_HOOK_VK_ALLOCATE_MEMORY, BT_EV_EXIT, a, 6);
	return r;
}

static void VKAPI_CALL bt_vkFreeMemory(VkDevice h, VkDeviceMemory m, const VkAllocationCallbacks *alloc)
{
	struct vk_device *d = device_of(h);
	if (m) {
		uint64_t a[2] = { H(m), H(h) };
		record(BT_HOOK_VK_FREE_MEMORY, 0, a, 2);
	}
	if (d && d->free)
		d->free(h, m, alloc);
}

static VkResult VKAPI_CALL bt_vkCreateBuffer(VkDevice h, const VkBufferCreateInfo *ci, const VkAllocationCallbacks *alloc,
					     VkBuffer *out)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->create_buffer)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->create_buffer(h, ci, alloc, out);
	uint64_t a[5] = { r == VK_SUCCESS ? H(*out) : 0, H(h), ci->size, ci->usage, (uint64_t)(int64_t)r };
	record(BT_HOOK_VK_CREATE_BUFFER, BT_EV_EXIT, a, 5);
	return r;
}

static void VKAPI_CALL bt_vkDestroyBuffer(VkDevice h, VkBuffer b, const VkAllocationCallbacks *alloc)
{
	struct vk_device *d = device_of(h);
	if (b) {
		uint64_t a[2] = { H(b), H(h) };
		record(BT_HOOK_VK_DESTROY_BUFFER, 0, a, 2);
	}
	if (d && d->destroy_buffer)
		d->destroy_buffer(h, b, alloc);
}

static VkResult VKAPI_CALL bt_vkCreateImage(VkDevice h, const VkImageCreateInfo *ci, const VkAllocationCallbacks *alloc,
					    VkImage *out)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->create_image)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->create_image(h, ci, alloc, out);
	uint64_t a[5] = { r == VK_SUCCESS ? H(*out) : 0, H(h), UINT64_MAX, ci->usage, (uint64_t)(int64_t)r };
	record(BT_HOOK_VK_CREATE_IMAGE, BT_EV_EXIT, a, 5);
	return r;
}

static void VKAPI_CALL bt_vkDestroyImage(VkDevice h, VkImage im, const VkAllocationCallbacks *alloc)
{
	struct vk_device *d = device_of(h);
	if (im) {
		uint64_t a[2] = { H(im), H(h) };
		record(BT_HOOK_VK_DESTROY_IMAGE, 0, a, 2);
	}
	if (d && d->destroy_image)
		d->destroy_image(h, im, alloc);
}

static VkResult VKAPI_CALL bt_vkBindBufferMemory(VkDevice h, VkBuffer b, VkDeviceMemory m, VkDeviceSize off)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->bind_buffer)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->bind_buffer(h, b, m, off);
	uint64_t a[4] = { H(b), H(m), off, (uint64_t)(int64_t)r };
	record(BT_HOOK_VK_BIND_BUFFER_MEMORY, BT_EV_EXIT, a, 4);
	return r;
}

static void bind_buffers2(VkResult r, uint32_t n, const VkBindBufferMemoryInfo *bi)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a[4] = { H(bi[i].buffer), H(bi[i].memory), bi[i].memoryOffset, (uint64_t)(int64_t)r };
		record(BT_HOOK_VK_BIND_BUFFER_MEMORY, BT_EV_EXIT, a, 4);
	}
}

static VkResult VKAPI_CALL bt_vkBindBufferMemory2(VkDevice h, uint32_t n, const VkBindBufferMemoryInfo *bi)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->bind_buffer2)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->bind_buffer2(h, n, bi);
	bind_buffers2(r, n, bi);
	return r;
}

static VkResult VKAPI_CALL bt_vkBindBufferMemory2KHR(VkDevice h, uint32_t n, const VkBindBufferMemoryInfo *bi)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->bind_buffer2_khr)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->bind_buffer2_khr(h, n, bi);
	bind_buffers2(r, n, bi);
	return r;
}

static VkResult VKAPI_CALL bt_vkBindImageMemory(VkDevice h, VkImage im, VkDeviceMemory m, VkDeviceSize off)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->bind_image)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->bind_image(h, im, m, off);
	uint64_t a[4] = { H(im), H(m), off, (uint64_t)(int64_t)r };
	record(BT_HOOK_VK_BIND_IMAGE_MEMORY, BT_EV_EXIT, a, 4);
	return r;
}

static void bind_images2(VkResult r, uint32_t n, const VkBindImageMemoryInfo *bi)
{
	for (uint32_t i = 0; i < n; i++) {
		uint64_t a[4] = { H(bi[i].image), H(bi[i].memory), bi[i].memoryOffset, (uint64_t)(int64_t)r };
		record(BT_HOOK_VK_BIND_IMAGE_MEMORY, BT_EV_EXIT, a, 4);
	}
}

static VkResult VKAPI_CALL bt_vkBindImageMemory2(VkDevice h, uint32_t n, const VkBindImageMemoryInfo *bi)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->bind_image2)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->bind_image2(h, n, bi);
	bind_images2(r, n, bi);
	return r;
}

static VkResult VKAPI_CALL bt_vkBindImageMemory2KHR(VkDevice h, uint32_t n, const VkBindImageMemoryInfo *bi)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->bind_image2_khr)
		return VK_ERROR_INITIALIZATION_FAILED;
	VkResult r = d->bind_image2_khr(h, n, bi);
	bind_images2(r, n, bi);
	return r;
}

/* The program asks an image's memory requirements: its size, for an
 * image whose create did not give one. */
static void VKAPI_CALL bt_vkGetImageMemoryRequirements(VkDevice h, VkImage im, VkMemoryRequirements *req)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->image_reqs)
		return;
	d->image_reqs(h, im, req);
	uint64_t a[2] = { H(im), req->size };
	record(BT_HOOK_VK_IMAGE_MEMORY_REQUIREMENTS, BT_EV_EXIT, a, 2);
}

static void image_reqs2(const VkImageMemoryRequirementsInfo2 *info, const VkMemoryRequirements2 *req)
{
	uint64_t a[2] = { H(info->image), req->memoryRequirements.size };
	record(BT_HOOK_VK_IMAGE_MEMORY_REQUIREMENTS, BT_EV_EXIT, a, 2);
}

static void VKAPI_CALL bt_vkGetImageMemoryRequirements2(VkDevice h, const VkImageMemoryRequirementsInfo2 *info,
							VkMemoryRequirements2 *req)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->image_reqs2)
		return;
	d->image_reqs2(h, info, req);
	image_reqs2(info, req);
}

static void VKAPI_CALL bt_vkGetImageMemoryRequirements2KHR(VkDevice h, const VkImageMemoryRequirementsInfo2 *info,
							   VkMemoryRequirements2 *req)
{
	struct vk_device *d = device_of(h);
	if (!d || !d->image_reqs2_khr)
		return;
	d->image_reqs2_khr(h, info, req);
	image_reqs2(info, req);
}

/* --- entry points -------------------------------------------------------- */

BT_EXPORT PFN_vkVoidFunction VKAPI_CALL bt_vkGetDeviceProcAddr(VkDevice h, const char *name);

/* The device commands we record, and where the next layer's is kept:
 * ours is handed out only when the chain below has the command. */
static const struct {
	const char *name;
	PFN_vkVoidFunction ours;
	size_t next; /* offsetof(struct vk_device, ...) */
} device_cmds[] = {
#define CMD(n, field) { #n, (PFN_vkVoidFunction)bt_##n, offsetof(struct vk_device, field) }
	CMD(vkDestroyDevice, destroy),
	CMD(vkAllocateMemory, allocate),
	CMD(vkFreeMemory, free),
	CMD(vkCreateBuffer, create_buffer),
	CMD(vkDestroyBuffer, destroy_buffer),
	CMD(vkCreateImage, create_image),
	CMD(vkDestroyImage, destroy_image),
	CMD(vkBindBufferMemory, bind_buffer),
	CMD(vkBindBufferMemory2, bind_buffer2),
	CMD(vkBindBufferMemory2KHR, bind_buffer2_khr),
	CMD(vkBindImageMemory, bind_image),
	CMD(vkBindImageMemory2, bind_image2),
	CMD(vkBindImageMemory2KHR, bind_image2_khr),
	CMD(vkGetImageMemoryRequirements, image_reqs),
	CMD(vkGetImageMemoryRequirements2, image_reqs2),
	CMD(vkGetImageMemoryRequirements2KHR, image_reqs2_khr),
#undef CMD
};

BT_EXPORT PFN_vkVoidFunction VKAPI_CALL bt_vkGetDeviceProcAddr(VkDevice h, const char *name)
{
	struct vk_device *d = device_of(h);
	if (!strcmp(name, "vkGetDeviceProcAddr"))
		return (PFN_vkVoidFunction)bt_vkGetDeviceProcAddr;
	if (!d) {
		PFN_vkGetDeviceProcAddr next = atomic_load(&any_gdpa);
		return next ? next(h, name) : NULL;
	}
	for (size_t i = 0; i < sizeof device_cmds / sizeof device_cmds[0]; i++)
		if (!strcmp(name, device_cmds[i].name)) {
			PFN_vkVoidFunction next = *(PFN_vkVoidFunction *)(void *)((char *)d + device_cmds[i].next);
			return next ? device_cmds[i].ours : NULL;
		}
	return d->gdpa(h, name);
}

BT_EXPORT PFN_vkVoidFunction VKAPI_CALL bt_vkGetInstanceProcAddr(VkInstance h, const char *name)
{
	static const struct {
		const char *name;
		PFN_vkVoidFunction fn;
	} inst_cmds[] = {
		{ "vkGetInstanceProcAddr", (PFN_vkVoidFunction)bt_vkGetInstanceProcAddr },
		{ "vkCreateInstance", (PFN_vkVoidFunction)bt_vkCreateInstance },
		{ "vkDestroyInstance", (PFN_vkVoidFunction)bt_vkDestroyInstance },
		{ "vkEnumeratePhysicalDevices", (PFN_vkVoidFunction)bt_vkEnumeratePhysicalDevices },
		{ "vkEnumeratePhysicalDeviceGroups", (PFN_vkVoidFunction)bt_vkEnumeratePhysicalDeviceGroups },
		{ "vkEnumeratePhysicalDeviceGroupsKHR", (PFN_vkVoidFunction)bt_vkEnumeratePhysicalDeviceGroups },
		{ "vkCreateDevice", (PFN_vkVoidFunction)bt_vkCreateDevice },
		{ "vkGetDeviceProcAddr", (PFN_vkVoidFunction)bt_vkGetDeviceProcAddr },
	};
	for (size_t i = 0; i < sizeof inst_cmds / sizeof inst_cmds[0]; i++)
		if (!strcmp(name, inst_cmds[i].name))
			return inst_cmds[i].fn;
	struct vk_instance *in = instance_of(h);
	if (!in) {
		PFN_vkGetInstanceProcAddr next = atomic_load(&any_gipa);
		return h && next ? next(h, name) : NULL;
	}
	/* device commands asked of the instance: ours where we record them */
	for (size_t i = 0; i < sizeof device_cmds / sizeof device_cmds[0]; i++)
		if (!strcmp(name, device_cmds[i].name))
			return in->gipa(h, name) ? device_cmds[i].ours : NULL;
	return in->gipa(h, name);
}

/* The loader-layer interface, version 2 (the manifest names this). */
BT_EXPORT VkResult VKAPI_CALL bt_vkNegotiateLoaderLayerInterfaceVersion(VkNegotiateLayerInterface *v)
{
	if (!v || v->sType != LAYER_NEGOTIATE_INTERFACE_STRUCT)
		return VK_ERROR_INITIALIZATION_FAILED;
	if (v->loaderLayerInterfaceVersion > 2)
		v->loaderLayerInterfaceVersion = 2;
	if (v->loaderLayerInterfaceVersion >= 2) {
		v->pfnGetInstanceProcAddr = bt_vkGetInstanceProcAddr;
		v->pfnGetDeviceProcAddr = bt_vkGetDeviceProcAddr;
		v->pfnGetPhysicalDeviceProcAddr = NULL;
	}
	return VK_SUCCESS;
}
