/* cl_ext: OpenCL memory made through extension entry points the program
 * gets by name (clGetExtensionFunctionAddress*), for t_runtime_opencl: on
 * the stand-in ICD (fake_icd.c, the real ICD loader in front), a USM device
 * allocation and a USM host allocation still held at the last
 * clReleaseContext (the lines marked LEAK), a shared one freed.
 * Prints what it did; exits 0, or 1 with a message on stderr. */
#define CL_TARGET_OPENCL_VERSION 300
#define CL_USE_DEPRECATED_OPENCL_1_1_APIS
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>
#include <CL/cl_ext.h>
#include <stdio.h>

int main(void)
{
	cl_platform_id platform;
	cl_device_id device;
	cl_uint n = 0;
	cl_int err;
	if (clGetPlatformIDs(1, &platform, &n) != CL_SUCCESS || !n) {
		fprintf(stderr, "cl_ext: no OpenCL platform\n");
		return 2;
	}
	clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL);
	clDeviceMemAllocINTEL_fn dev_alloc =
		(clDeviceMemAllocINTEL_fn)clGetExtensionFunctionAddressForPlatform(platform, "clDeviceMemAllocINTEL");
	clSharedMemAllocINTEL_fn shared_alloc =
		(clSharedMemAllocINTEL_fn)clGetExtensionFunctionAddressForPlatform(platform, "clSharedMemAllocINTEL");
	clHostMemAllocINTEL_fn host_alloc = (clHostMemAllocINTEL_fn)clGetExtensionFunctionAddress("clHostMemAllocINTEL");
	clMemFreeINTEL_fn mem_free = (clMemFreeINTEL_fn)clGetExtensionFunctionAddressForPlatform(platform, "clMemFreeINTEL");
	if (!dev_alloc || !shared_alloc || !host_alloc || !mem_free) {
		fprintf(stderr, "cl_ext: the platform has no cl_intel_unified_shared_memory\n");
		return 2;
	}
	cl_context ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
	void *d = dev_alloc(ctx, device, NULL, 4096, 0, &err); /* LEAK d */
	void *h = host_alloc(ctx, NULL, 2048, 0, &err); /* LEAK h */
	void *s = shared_alloc(ctx, device, NULL, 512, 0, &err);
	if (!d || !h || !s || mem_free(ctx, s) != CL_SUCCESS) {
		fprintf(stderr, "cl_ext: USM calls failed\n");
		return 1;
	}
	clReleaseContext(ctx);
	printf("cl_ext: 2 USM allocations left at clReleaseContext\n");
	return 0;
}
