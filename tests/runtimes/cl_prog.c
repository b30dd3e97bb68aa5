/* cl_prog: a small OpenCL program for buftrace's OpenCL profile, run on a
 * real runtime (PoCL's CPU device through the ICD loader).
 *   cl_prog leak      three cl_mem and one sub-buffer still referenced at
 *                     the last clReleaseContext (created on the lines that
 *                     say LEAK), plus objects released properly (a retained
 *                     and twice released buffer, an SVM allocation freed)
 *   cl_prog clean     the same objects, all released before the context
 *   cl_prog churn N   N buffers created and released, a sub-buffer of every
 *                     tenth (the per-call cost, make bench)
 *   cl_prog threads N N threads, each with its own context and queue:
 *                     buffers, a kernel compiled (LLVM JIT) and run, the
 *                     result read back; everything released
 * Prints what it computed; exits 0, or 1 with a message on stderr. */
#define CL_TARGET_OPENCL_VERSION 300
#include <CL/cl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(x)                                                                     \
	do {                                                                         \
		cl_int e_ = (x);                                                     \
		if (e_ != CL_SUCCESS) {                                              \
			fprintf(stderr, "cl_prog: %s: error %d (line %d)\n", #x, e_, __LINE__); \
			exit(1);                                                     \
		}                                                                    \
	} while (0)

static cl_device_id device;

static cl_context make_context(void)
{
	cl_int err;
	cl_context ctx = clCreateContext(NULL, 1, &device, NULL, NULL, &err);
	CHECK(err);
	return ctx;
}

static cl_mem make_buffer(cl_context ctx, size_t size)
{
	cl_int err;
	cl_mem m = clCreateBuffer(ctx, CL_MEM_READ_WRITE, size, NULL, &err);
	CHECK(err);
	return m;
}

static int objects(int leak)
{
	cl_int err;
	cl_context ctx = make_context();
	cl_mem a = clCreateBuffer(ctx, CL_MEM_READ_WRITE, 4096, NULL, &err); /* LEAK a */
	CHECK(err);
	cl_mem b = clCreateBuffer(ctx, CL_MEM_READ_ONLY, 8192, NULL, &err); /* LEAK b */
	CHECK(err);
	cl_mem c = clCreateBufferWithProperties(ctx, NULL, CL_MEM_READ_WRITE, 2048, NULL, &err); /* LEAK c */
	CHECK(err);
	cl_buffer_region region = { 0, 1024 };
	cl_mem sub = clCreateSubBuffer(a, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &region, &err); /* LEAK sub */
	CHECK(err);
	/* released properly: once, and retained then released twice */
	cl_mem d = make_buffer(ctx, 512);
	CHECK(clReleaseMemObject(d));
	cl_mem e = make_buffer(ctx, 256);
	CHECK(clRetainMemObject(e));
	CHECK(clReleaseMemObject(e));
	CHECK(clReleaseMemObject(e));
	/* a release that fails changes nothing */
	if (clReleaseMemObject(NULL) == CL_SUCCESS)
		fprintf(stderr, "cl_prog: releasing NULL succeeded\n");
	cl_device_svm_capabilities svm = 0;
	clGetDeviceInfo(device, CL_DEVICE_SVM_CAPABILITIES, sizeof svm, &svm, NULL);
	if (svm) {
		void *p = clSVMAlloc(ctx, CL_MEM_READ_WRITE, 1000, 0);
		if (p)
			clSVMFree(ctx, p);
	}
	/* the context retained and released once more than made */
	CHECK(clRetainContext(ctx));
	CHECK(clReleaseContext(ctx));
	if (!leak) {
		CHECK(clReleaseMemObject(sub));
		CHECK(clReleaseMemObject(a));
		CHECK(clReleaseMemObject(b));
		CHECK(clReleaseMemObject(c));
	}
	CHECK(clReleaseContext(ctx)); /* the program's last reference */
	printf("objects: %s\n", leak ? "4 left referenced" : "all released");
	return 0;
}

static const char *src = "__kernel void scale(__global int *x, int k) { size_t i = get_global_id(0); x[i] = x[i] * k + (int)i; }";

static void *worker(void *arg)
{
	int id = (int)(long)arg, n = 1024;
	long sum = 0;
	cl_int err;
	cl_context ctx = make_context();
	cl_command_queue q = clCreateCommandQueueWithProperties(ctx, device, NULL, &err);
	CHECK(err);
	cl_program prog = clCreateProgramWithSource(ctx, 1, &src, NULL, &err);
	CHECK(err);
	CHECK(clBuildProgram(prog, 1, &device, NULL, NULL, NULL));
	cl_kernel k = clCreateKernel(prog, "scale", &err);
	CHECK(err);
	int *host = malloc(sizeof(int) * (size_t)n);
	for (int round = 0; round < 20; round++) {
		cl_mem m = make_buffer(ctx, sizeof(int) * (size_t)n);
		for (int i = 0; i < n; i++)
			host[i] = i + id;
		CHECK(clEnqueueWriteBuffer(q, m, CL_TRUE, 0, sizeof(int) * (size_t)n, host, 0, NULL, NULL));
		int f = round + 2;
		CHECK(clSetKernelArg(k, 0, sizeof m, &m));
		CHECK(clSetKernelArg(k, 1, sizeof f, &f));
		size_t global = (size_t)n;
		CHECK(clEnqueueNDRangeKernel(q, k, 1, NULL, &global, NULL, 0, NULL, NULL));
		CHECK(clEnqueueReadBuffer(q, m, CL_TRUE, 0, sizeof(int) * (size_t)n, host, 0, NULL, NULL));
		for (int i = 0; i < n; i++)
			sum += host[i];
		CHECK(clReleaseMemObject(m));
	}
	free(host);
	CHECK(clReleaseKernel(k));
	CHECK(clReleaseProgram(prog));
	CHECK(clReleaseCommandQueue(q));
	CHECK(clReleaseContext(ctx));
	return (void *)sum;
}

int main(int argc, char **argv)
{
	cl_platform_id platform;
	cl_uint np = 0;
	const char *mode = argc > 1 ? argv[1] : "leak";
	if (clGetPlatformIDs(1, &platform, &np) != CL_SUCCESS || !np) {
		fprintf(stderr, "cl_prog: no OpenCL platform\n");
		return 2;
	}
	CHECK(clGetDeviceIDs(platform, CL_DEVICE_TYPE_ALL, 1, &device, NULL));
	if (!strcmp(mode, "leak") || !strcmp(mode, "clean"))
		return objects(!strcmp(mode, "leak"));
	if (!strcmp(mode, "churn")) {
		long n = argc > 2 ? atol(argv[2]) : 10000, sum = 0;
		cl_context ctx = make_context();
		for (long i = 0; i < n; i++) {
			cl_mem m = make_buffer(ctx, 256 + (size_t)(i & 7) * 64);
			if (i % 10 == 0) {
				cl_int err;
				cl_buffer_region r = { 0, 64 };
				cl_mem sub = clCreateSubBuffer(m, CL_MEM_READ_WRITE, CL_BUFFER_CREATE_TYPE_REGION, &r, &err);
				CHECK(err);
				CHECK(clReleaseMemObject(sub));
			}
			sum += m != NULL;
			CHECK(clReleaseMemObject(m));
		}
		CHECK(clReleaseContext(ctx));
		printf("churn: %ld buffers\n", sum);
		return 0;
	}
	if (!strcmp(mode, "threads")) {
		int n = argc > 2 ? atoi(argv[2]) : 4;
		pthread_t th[64];
		long total = 0;
		if (n < 1 || n > 64)
			n = 4;
		for (int i = 0; i < n; i++)
			pthread_create(&th[i], NULL, worker, (void *)(long)i);
		for (int i = 0; i < n; i++) {
			void *r;
			pthread_join(th[i], &r);
			total += (long)r;
		}
		printf("threads: %d, sum %ld\n", n, total);
		return 0;
	}
	fprintf(stderr, "usage: cl_prog leak|clean|churn N|threads [N]\n");
	return 2;
}
