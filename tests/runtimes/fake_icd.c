/* fake_icd.c: a stand-in OpenCL ICD (libbtfakeicd.so) behind the real ICD
 * loader, for the one thing PoCL cannot show: memory made by extension
 * entry points the program gets by name.  It offers Intel's
 * cl_intel_unified_shared_memory (clHostMemAllocINTEL,
 * clDeviceMemAllocINTEL, clSharedMemAllocINTEL, clMemFreeINTEL,
 * clMemBlockingFreeINTEL) through clGetExtensionFunctionAddress*, as
 * Intel's runtime does, and the least of the rest: one platform, one
 * device, contexts with reference counts.  Loaded by ocl-icd from
 * OCL_ICD_VENDORS=<its .icd file>.  Allocations are plain malloc. */
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_1_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <CL/cl_icd.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT __attribute__((visibility("default")))

static struct _cl_icd_dispatch dispatch;
struct _cl_platform_id {
	struct _cl_icd_dispatch *d;
};
struct _cl_device_id {
	struct _cl_icd_dispatch *d;
};
struct _cl_context {
	struct _cl_icd_dispatch *d;
	atomic_int refs;
};
static struct _cl_platform_id platform = { &dispatch };
static struct _cl_device_id device = { &dispatch };

static cl_int info(const char *s, size_t size, void *value, size_t *ret)
{
	size_t n = strlen(s) + 1;
	if (value && size < n)
		return CL_INVALID_VALUE;
	if (value)
		memcpy(value, s, n);
	if (ret)
		*ret = n;
	return CL_SUCCESS;
}

static cl_int CL_API_CALL get_platform_ids(cl_uint n, cl_platform_id *p, cl_uint *np)
{
	if (p && n)
		p[0] = &platform;
	if (np)
		*np = 1;
	return CL_SUCCESS;
}

static cl_int CL_API_CALL get_platform_info(cl_platform_id p, cl_platform_info what, size_t size, void *value,
					    size_t *ret)
{
	(void)p;
	switch (what) {
	case CL_PLATFORM_ICD_SUFFIX_KHR: return info("INTEL", size, value, ret); /* as Intel's: the loader routes *INTEL names by it */
	case CL_PLATFORM_NAME: return info("buftrace stand-in ICD", size, value, ret);
	case CL_PLATFORM_VENDOR: return info("buftrace", size, value, ret);
	case CL_PLATFORM_VERSION: return info("OpenCL 1.2 stand-in", size, value, ret);
	case CL_PLATFORM_PROFILE: return info("FULL_PROFILE", size, value, ret);
	case CL_PLATFORM_EXTENSIONS: return info("cl_khr_icd cl_intel_unified_shared_memory", size, value, ret);
	default: return CL_INVALID_VALUE;
	}
}

static cl_int CL_API_CALL get_device_ids(cl_platform_id p, cl_device_type t, cl_uint n, cl_device_id *d, cl_uint *nd)
{
	(void)p, (void)t;
	if (d && n)
		d[0] = &device;
	if (nd)
		*nd = 1;
	return CL_SUCCESS;
}

static cl_context CL_API_CALL create_context(const cl_context_properties *props, cl_uint n, const cl_device_id *d,
					     void(CL_CALLBACK *notify)(const char *, const void *, size_t, void *),
					     void *user, cl_int *err)
{
	(void)props, (void)n, (void)d, (void)notify, (void)user;
	struct _cl_context *c = calloc(1, sizeof *c);
	if (c) {
		c->d = &dispatch;
		c->refs = 1;
	}
	if (err)
		*err = c ? CL_SUCCESS : CL_OUT_OF_HOST_MEMORY;
	return c;
}

static cl_int CL_API_CALL retain_context(cl_context c)
{
	if (!c)
		return CL_INVALID_CONTEXT;
	atomic_fetch_add(&c->refs, 1);
	return CL_SUCCESS;
}

static cl_int CL_API_CALL release_context(cl_context c)
{
	if (!c)
		return CL_INVALID_CONTEXT;
	if (atomic_fetch_sub(&c->refs, 1) == 1)
		free(c);
	return CL_SUCCESS;
}

/* cl_intel_unified_shared_memory */
static void *alloc(cl_context c, size_t size, cl_int *err)
{
	void *p = c && size ? malloc(size) : NULL;
	if (err)
		*err = p ? CL_SUCCESS : CL_INVALID_VALUE;
	return p;
}
static void *CL_API_CALL host_alloc(cl_context c, const cl_mem_properties_intel *pr, size_t size, cl_uint align,
				    cl_int *err)
{
	(void)pr, (void)align;
	return alloc(c, size, err);
}
static void *CL_API_CALL device_alloc(cl_context c, cl_device_id d, const cl_mem_properties_intel *pr, size_t size,
				      cl_uint align, cl_int *err)
{
	(void)d, (void)pr, (void)align;
	return alloc(c, size, err);
}
static cl_int CL_API_CALL mem_free(cl_context c, void *p)
{
	if (!c)
		return CL_INVALID_CONTEXT;
	free(p);
	return CL_SUCCESS;
}

static void *extension(const char *name)
{
	static const struct {
		const char *name;
		void *fn;
	} fns[] = {
		{ "clIcdGetPlatformIDsKHR", (void *)get_platform_ids },
		{ "clGetPlatformInfo", (void *)get_platform_info }, /* ocl-icd asks */
		{ "clHostMemAllocINTEL", (void *)host_alloc },
		{ "clDeviceMemAllocINTEL", (void *)device_alloc },
		{ "clSharedMemAllocINTEL", (void *)device_alloc },
		{ "clMemFreeINTEL", (void *)mem_free },
		{ "clMemBlockingFreeINTEL", (void *)mem_free },
	};
	for (size_t i = 0; name && i < sizeof fns / sizeof fns[0]; i++)
		if (!strcmp(name, fns[i].name))
			return fns[i].fn;
	return NULL;
}

static void *CL_API_CALL ext_for_platform(cl_platform_id p, const char *name)
{
	(void)p;
	return extension(name);
}

EXPORT void *CL_API_CALL clGetExtensionFunctionAddress(const char *name)
{
	return extension(name);
}

EXPORT cl_int CL_API_CALL clIcdGetPlatformIDsKHR(cl_uint n, cl_platform_id *p, cl_uint *np)
{
	return get_platform_ids(n, p, np);
}

__attribute__((constructor)) static void init(void)
{
	dispatch.clGetPlatformIDs = get_platform_ids;
	dispatch.clGetPlatformInfo = get_platform_info;
	dispatch.clGetDeviceIDs = get_device_ids;
	dispatch.clCreateContext = create_context;
	dispatch.clRetainContext = retain_context;
	dispatch.clReleaseContext = release_context;
	dispatch.clGetExtensionFunctionAddressForPlatform = ext_for_platform;
	dispatch.clGetExtensionFunctionAddress = clGetExtensionFunctionAddress;
}
