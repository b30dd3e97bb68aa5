/* vk_prog: a small Vulkan program for buftrace's Vulkan profile, run on a
 * real runtime (Mesa's lavapipe, a CPU device).
 *   vk_prog leak       at vkDestroyDevice, two VkBuffer (one bound to the
 *                      memory) and one VkDeviceMemory not destroyed (the
 *                      lines that say LEAK); a buffer, an image and a
 *                      memory allocation destroyed properly
 *   vk_prog clean      the same, everything destroyed
 *   vk_prog images     at vkDestroyDevice, two VkImage not destroyed: one
 *                      whose memory requirements the program asked (its
 *                      size is known from them), one it never asked about
 *   vk_prog churn N    N buffers created, given memory, bound and destroyed
 *                      (the per-call cost, make bench)
 *   vk_prog threads N  N threads, each with its own device: buffers and
 *                      memory made, a compute pipeline compiled (lavapipe's
 *                      LLVM) and dispatched, everything destroyed
 * With VK_PROG_REPORT=1 it asks for VK_EXT_debug_utils and prints, for
 * every message about vkDestroyDevice, the objects it names ("reported
 * VkBuffer 0x..."): what the Khronos validation layer says was not
 * destroyed, to compare with buftrace's report.
 * Exits 0, or 1 with a message on stderr. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <vulkan/vulkan.h>

#define CHECK(x)                                                                            \
	do {                                                                                \
		VkResult r_ = (x);                                                          \
		if (r_ != VK_SUCCESS) {                                                     \
			fprintf(stderr, "vk_prog: %s: VkResult %d (line %d)\n", #x, r_, __LINE__); \
			exit(1);                                                            \
		}                                                                           \
	} while (0)

static VkInstance instance;
static VkPhysicalDevice pdev;
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT sev,
						 VkDebugUtilsMessageTypeFlagsEXT type,
						 const VkDebugUtilsMessengerCallbackDataEXT *d, void *user)
{
	(void)sev, (void)type, (void)user;
	if (!d->pMessageIdName || !strstr(d->pMessageIdName, "vkDestroyDevice"))
		return VK_FALSE;
	pthread_mutex_lock(&out_lock);
	for (uint32_t i = 0; i < d->objectCount; i++) {
		const char *t = d->pObjects[i].objectType == VK_OBJECT_TYPE_BUFFER          ? "VkBuffer"
				: d->pObjects[i].objectType == VK_OBJECT_TYPE_DEVICE_MEMORY ? "VkDeviceMemory"
				: d->pObjects[i].objectType == VK_OBJECT_TYPE_IMAGE         ? "VkImage"
									    : NULL;
		if (t)
			printf("reported %s 0x%llx\n", t, (unsigned long long)d->pObjects[i].objectHandle);
	}
	pthread_mutex_unlock(&out_lock);
	return VK_FALSE;
}

static uint32_t memory_type(VkMemoryPropertyFlags want, uint32_t bits)
{
	VkPhysicalDeviceMemoryProperties mp;
	vkGetPhysicalDeviceMemoryProperties(pdev, &mp);
	for (uint32_t i = 0; i < mp.memoryTypeCount; i++)
		if ((bits & (1u << i)) && (mp.memoryTypes[i].propertyFlags & want) == want)
			return i;
	fprintf(stderr, "vk_prog: no memory type\n");
	exit(1);
}

static VkDevice make_device(VkQueue *q)
{
	float prio = 1.0f;
	VkDeviceQueueCreateInfo qi = { .sType = VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO,
				       .queueFamilyIndex = 0,
				       .queueCount = 1,
				       .pQueuePriorities = &prio };
	VkDeviceCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, .queueCreateInfoCount = 1, .pQueueCreateInfos = &qi };
	VkDevice dev;
	CHECK(vkCreateDevice(pdev, &ci, NULL, &dev));
	if (q)
		vkGetDeviceQueue(dev, 0, 0, q);
	return dev;
}

static VkBuffer make_buffer(VkDevice dev, VkDeviceSize size)
{
	VkBufferCreateInfo bi = { .sType = VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO,
				  .size = size,
				  .usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT,
				  .sharingMode = VK_SHARING_MODE_EXCLUSIVE };
	VkBuffer b;
	CHECK(vkCreateBuffer(dev, &bi, NULL, &b));
	return b;
}

static VkDeviceMemory allocate(VkDevice dev, VkDeviceSize size, uint32_t bits)
{
	VkMemoryAllocateInfo ai = { .sType = VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO,
				    .allocationSize = size,
				    .memoryTypeIndex = memory_type(VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT, bits) };
	VkDeviceMemory m;
	CHECK(vkAllocateMemory(dev, &ai, NULL, &m));
	return m;
}

static int objects(int leak)
{
	VkDevice dev = make_device(NULL);
	VkMemoryRequirements req;
	VkBuffer a = make_buffer(dev, 4096); /* LEAK a */
	vkGetBufferMemoryRequirements(dev, a, &req);
	VkDeviceMemory m = allocate(dev, 65536, req.memoryTypeBits); /* LEAK m */
	CHECK(vkBindBufferMemory(dev, a, m, 0));
	VkBuffer b = make_buffer(dev, 8192); /* LEAK b */
	/* destroyed properly: a buffer bound with vkBindBufferMemory2, an
	 * image, a second allocation */
	VkBuffer c = make_buffer(dev, 1024);
	VkBindBufferMemoryInfo bind = { .sType = VK_STRUCTURE_TYPE_BIND_BUFFER_MEMORY_INFO,
					.buffer = c,
					.memory = m,
					.memoryOffset = 16384 };
	CHECK(vkBindBufferMemory2(dev, 1, &bind));
	VkImageCreateInfo ii = { .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
				 .imageType = VK_IMAGE_TYPE_2D,
				 .format = VK_FORMAT_R8G8B8A8_UNORM,
				 .extent = { 16, 16, 1 },
				 .mipLevels = 1,
				 .arrayLayers = 1,
				 .samples = VK_SAMPLE_COUNT_1_BIT,
				 .tiling = VK_IMAGE_TILING_OPTIMAL,
				 .usage = VK_IMAGE_USAGE_SAMPLED_BIT,
				 .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED };
	VkImage im;
	CHECK(vkCreateImage(dev, &ii, NULL, &im));
	vkGetImageMemoryRequirements(dev, im, &req);
	VkDeviceMemory n = allocate(dev, req.size, req.memoryTypeBits);
	CHECK(vkBindImageMemory(dev, im, n, 0));
	vkDestroyImage(dev, im, NULL);
	vkFreeMemory(dev, n, NULL);
	vkDestroyBuffer(dev, c, NULL);
	if (!leak) {
		vkDestroyBuffer(dev, a, NULL);
		vkDestroyBuffer(dev, b, NULL);
		vkFreeMemory(dev, m, NULL);
	}
	vkDestroyDevice(dev, NULL);
	printf("objects: %s\n", leak ? "2 VkBuffer and 1 VkDeviceMemory left at vkDestroyDevice" : "all destroyed");
	return 0;
}

static VkImage make_image(VkDevice dev, uint32_t w)
{
	VkImageCreateInfo ii = { .sType = VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO,
				 .imageType = VK_IMAGE_TYPE_2D,
				 .format = VK_FORMAT_R8G8B8A8_UNORM,
				 .extent = { w, w, 1 },
				 .mipLevels = 1,
				 .arrayLayers = 1,
				 .samples = VK_SAMPLE_COUNT_1_BIT,
				 .tiling = VK_IMAGE_TILING_OPTIMAL,
				 .usage = VK_IMAGE_USAGE_SAMPLED_BIT,
				 .initialLayout = VK_IMAGE_LAYOUT_UNDEFINED };
	VkImage im;
	CHECK(vkCreateImage(dev, &ii, NULL, &im));
	return im;
}

static int images(void)
{
	VkDevice dev = make_device(NULL);
	VkImage asked = make_image(dev, 64); /* LEAK asked */
	VkImage unasked = make_image(dev, 32); /* LEAK unasked */
	VkImageMemoryRequirementsInfo2 info = { .sType = VK_STRUCTURE_TYPE_IMAGE_MEMORY_REQUIREMENTS_INFO_2, .image = asked };
	VkMemoryRequirements2 req = { .sType = VK_STRUCTURE_TYPE_MEMORY_REQUIREMENTS_2 };
	vkGetImageMemoryRequirements2(dev, &info, &req);
	(void)unasked;
	vkDestroyDevice(dev, NULL);
	printf("images: 2 VkImage left, one of %llu bytes\n", (unsigned long long)req.memoryRequirements.size);
	return 0;
}

/* #version 450 / layout(local_size_x = 64) in; layout(binding = 0) buffer B
 * { uint v[]; }; void main() { v[gl_GlobalInvocationID.x] *= 3u; } -- the
 * SPIR-V, hand-assembled (no compiler needed to build the test) */
static const uint32_t spirv[] = {
	0x07230203, 0x00010000, 0x00000000, 0x0000001d, 0x00000000,
	0x00020011, 0x00000001, /* Capability Shader */
	0x0003000e, 0x00000000, 0x00000001, /* MemoryModel Logical GLSL450 */
	0x0006000f, 0x00000005, 0x00000001, 0x6e69616d, 0x00000000, 0x00000002, /* EntryPoint GLCompute %1 "main" %2 */
	0x00060010, 0x00000001, 0x00000011, 0x00000040, 0x00000001, 0x00000001, /* LocalSize 64 1 1 */
	0x00040047, 0x00000002, 0x0000000b, 0x0000001c, /* %2 BuiltIn GlobalInvocationId */
	0x00040047, 0x00000003, 0x00000006, 0x00000004, /* %3 (uint[]) ArrayStride 4 */
	0x00050048, 0x00000004, 0x00000000, 0x00000023, 0x00000000, /* %4 member 0 Offset 0 */
	0x00030047, 0x00000004, 0x00000003, /* %4 BufferBlock */
	0x00040047, 0x00000005, 0x00000022, 0x00000000, /* %5 DescriptorSet 0 */
	0x00040047, 0x00000005, 0x00000021, 0x00000000, /* %5 Binding 0 */
	0x00020013, 0x00000006, /* %6 void */
	0x00030021, 0x00000007, 0x00000006, /* %7 fn void */
	0x00040015, 0x00000008, 0x00000020, 0x00000000, /* %8 uint */
	0x0003001d, 0x00000003, 0x00000008, /* %3 runtime array of uint */
	0x0003001e, 0x00000004, 0x00000003, /* %4 struct { %3 } */
	0x00040020, 0x00000009, 0x00000002, 0x00000004, /* %9 ptr Uniform %4 */
	0x0004003b, 0x00000009, 0x00000005, 0x00000002, /* %5 var Uniform */
	0x00040017, 0x0000000a, 0x00000008, 0x00000003, /* %10 uvec3 */
	0x00040020, 0x0000000b, 0x00000001, 0x0000000a, /* %11 ptr Input uvec3 */
	0x0004003b, 0x0000000b, 0x00000002, 0x00000001, /* %2 var Input */
	0x00040015, 0x0000000c, 0x00000020, 0x00000001, /* %12 int */
	0x0004002b, 0x0000000c, 0x0000000d, 0x00000000, /* %13 int 0 */
	0x0004002b, 0x00000008, 0x0000000e, 0x00000000, /* %14 uint 0 */
	0x0004002b, 0x00000008, 0x0000000f, 0x00000003, /* %15 uint 3 */
	0x00040020, 0x00000010, 0x00000001, 0x00000008, /* %16 ptr Input uint */
	0x00040020, 0x00000011, 0x00000002, 0x00000008, /* %17 ptr Uniform uint */
	0x00050036, 0x00000006, 0x00000001, 0x00000000, 0x00000007, /* %1 = function */
	0x000200f8, 0x00000012, /* label */
	0x00050041, 0x00000010, 0x00000013, 0x00000002, 0x0000000e, /* %19 = &gid.x */
	0x0004003d, 0x00000008, 0x00000014, 0x00000013, /* %20 = load */
	0x00060041, 0x00000011, 0x00000015, 0x00000005, 0x0000000d, 0x00000014, /* %21 = &v[%20] */
	0x0004003d, 0x00000008, 0x00000016, 0x00000015, /* %22 = load */
	0x00050084, 0x00000008, 0x00000017, 0x00000016, 0x0000000f, /* %23 = %22 * 3 */
	0x0003003e, 0x00000015, 0x00000017, /* store */
	0x000100fd, /* return */
	0x00010038, /* function end */
};

static void *worker(void *arg)
{
	int id = (int)(long)arg, n = 1024;
	VkQueue q;
	VkDevice dev = make_device(&q);
	unsigned long sum = 0;
	VkShaderModuleCreateInfo si = { .sType = VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO, .codeSize = sizeof spirv, .pCode = spirv };
	VkShaderModule sm;
	CHECK(vkCreateShaderModule(dev, &si, NULL, &sm));
	VkDescriptorSetLayoutBinding lb = { .binding = 0,
					    .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
					    .descriptorCount = 1,
					    .stageFlags = VK_SHADER_STAGE_COMPUTE_BIT };
	VkDescriptorSetLayoutCreateInfo li = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO, .bindingCount = 1, .pBindings = &lb };
	VkDescriptorSetLayout dsl;
	CHECK(vkCreateDescriptorSetLayout(dev, &li, NULL, &dsl));
	VkPipelineLayoutCreateInfo pli = { .sType = VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO, .setLayoutCount = 1, .pSetLayouts = &dsl };
	VkPipelineLayout pl;
	CHECK(vkCreatePipelineLayout(dev, &pli, NULL, &pl));
	VkComputePipelineCreateInfo ci = { .sType = VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO,
					   .stage = { .sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
						      .stage = VK_SHADER_STAGE_COMPUTE_BIT,
						      .module = sm,
						      .pName = "main" },
					   .layout = pl };
	VkPipeline pipe;
	CHECK(vkCreateComputePipelines(dev, VK_NULL_HANDLE, 1, &ci, NULL, &pipe));
	VkDescriptorPoolSize ps = { VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1 };
	VkDescriptorPoolCreateInfo dpi = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO,
					   .flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT,
					   .maxSets = 1,
					   .poolSizeCount = 1,
					   .pPoolSizes = &ps };
	VkDescriptorPool dp;
	CHECK(vkCreateDescriptorPool(dev, &dpi, NULL, &dp));
	VkCommandPoolCreateInfo cpi = { .sType = VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO, .queueFamilyIndex = 0 };
	VkCommandPool cp;
	CHECK(vkCreateCommandPool(dev, &cpi, NULL, &cp));
	for (int round = 0; round < 10; round++) {
		VkMemoryRequirements req;
		VkBuffer b = make_buffer(dev, sizeof(uint32_t) * (VkDeviceSize)n);
		vkGetBufferMemoryRequirements(dev, b, &req);
		VkDeviceMemory m = allocate(dev, req.size, req.memoryTypeBits);
		CHECK(vkBindBufferMemory(dev, b, m, 0));
		uint32_t *p;
		CHECK(vkMapMemory(dev, m, 0, VK_WHOLE_SIZE, 0, (void **)&p));
		for (int i = 0; i < n; i++)
			p[i] = (uint32_t)(i + id + round);
		VkDescriptorSetAllocateInfo dai = { .sType = VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO,
						    .descriptorPool = dp,
						    .descriptorSetCount = 1,
						    .pSetLayouts = &dsl };
		VkDescriptorSet ds;
		CHECK(vkAllocateDescriptorSets(dev, &dai, &ds));
		VkDescriptorBufferInfo dbi = { b, 0, VK_WHOLE_SIZE };
		VkWriteDescriptorSet w = { .sType = VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET,
					   .dstSet = ds,
					   .descriptorCount = 1,
					   .descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER,
					   .pBufferInfo = &dbi };
		vkUpdateDescriptorSets(dev, 1, &w, 0, NULL);
		VkCommandBufferAllocateInfo cai = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO,
						    .commandPool = cp,
						    .level = VK_COMMAND_BUFFER_LEVEL_PRIMARY,
						    .commandBufferCount = 1 };
		VkCommandBuffer cb;
		CHECK(vkAllocateCommandBuffers(dev, &cai, &cb));
		VkCommandBufferBeginInfo bi = { .sType = VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO };
		CHECK(vkBeginCommandBuffer(cb, &bi));
		vkCmdBindPipeline(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pipe);
		vkCmdBindDescriptorSets(cb, VK_PIPELINE_BIND_POINT_COMPUTE, pl, 0, 1, &ds, 0, NULL);
		vkCmdDispatch(cb, (uint32_t)n / 64, 1, 1);
		CHECK(vkEndCommandBuffer(cb));
		VkSubmitInfo sub = { .sType = VK_STRUCTURE_TYPE_SUBMIT_INFO, .commandBufferCount = 1, .pCommandBuffers = &cb };
		CHECK(vkQueueSubmit(q, 1, &sub, VK_NULL_HANDLE));
		CHECK(vkQueueWaitIdle(q));
		for (int i = 0; i < n; i++)
			sum += p[i];
		vkUnmapMemory(dev, m);
		vkFreeCommandBuffers(dev, cp, 1, &cb);
		CHECK(vkFreeDescriptorSets(dev, dp, 1, &ds));
		vkDestroyBuffer(dev, b, NULL);
		vkFreeMemory(dev, m, NULL);
	}
	vkDestroyCommandPool(dev, cp, NULL);
	vkDestroyDescriptorPool(dev, dp, NULL);
	vkDestroyPipeline(dev, pipe, NULL);
	vkDestroyPipelineLayout(dev, pl, NULL);
	vkDestroyDescriptorSetLayout(dev, dsl, NULL);
	vkDestroyShaderModule(dev, sm, NULL);
	vkDestroyDevice(dev, NULL);
	return (void *)sum;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "leak";
	int report = getenv("VK_PROG_REPORT") && !strcmp(getenv("VK_PROG_REPORT"), "1");
	const char *ext[] = { VK_EXT_DEBUG_UTILS_EXTENSION_NAME };
	VkApplicationInfo app = { .sType = VK_STRUCTURE_TYPE_APPLICATION_INFO, .pApplicationName = "vk_prog", .apiVersion = VK_API_VERSION_1_1 };
	VkInstanceCreateInfo ici = { .sType = VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO,
				     .pApplicationInfo = &app,
				     .enabledExtensionCount = report ? 1 : 0,
				     .ppEnabledExtensionNames = ext };
	VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
	uint32_t n = 1;
	int rc = 2;
	if (vkCreateInstance(&ici, NULL, &instance) != VK_SUCCESS) {
		fprintf(stderr, "vk_prog: no Vulkan instance\n");
		return 2;
	}
	if (report) {
		VkDebugUtilsMessengerCreateInfoEXT mi = { .sType = VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT,
							  .messageSeverity = VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT,
							  .messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT,
							  .pfnUserCallback = on_message };
		PFN_vkCreateDebugUtilsMessengerEXT create =
			(PFN_vkCreateDebugUtilsMessengerEXT)vkGetInstanceProcAddr(instance, "vkCreateDebugUtilsMessengerEXT");
		if (create)
			CHECK(create(instance, &mi, NULL, &messenger));
	}
	if (vkEnumeratePhysicalDevices(instance, &n, &pdev) < 0 || n == 0) {
		fprintf(stderr, "vk_prog: no Vulkan device\n");
		return 2;
	}
	if (!strcmp(mode, "leak") || !strcmp(mode, "clean")) {
		rc = objects(!strcmp(mode, "leak"));
	} else if (!strcmp(mode, "images")) {
		rc = images();
	} else if (!strcmp(mode, "churn")) {
		long cn = argc > 2 ? atol(argv[2]) : 10000, made = 0;
		VkDevice dev = make_device(NULL);
		for (long i = 0; i < cn; i++) {
			VkMemoryRequirements req;
			VkBuffer b = make_buffer(dev, 256 + (VkDeviceSize)(i & 7) * 64);
			vkGetBufferMemoryRequirements(dev, b, &req);
			VkDeviceMemory m = allocate(dev, req.size, req.memoryTypeBits);
			CHECK(vkBindBufferMemory(dev, b, m, 0));
			vkDestroyBuffer(dev, b, NULL);
			vkFreeMemory(dev, m, NULL);
			made++;
		}
		vkDestroyDevice(dev, NULL);
		printf("churn: %ld buffers\n", made);
		rc = 0;
	} else if (!strcmp(mode, "threads")) {
		int nt = argc > 2 ? atoi(argv[2]) : 4;
		pthread_t th[16];
		unsigned long total = 0;
		if (nt < 1 || nt > 16)
			nt = 4;
		for (int i = 0; i < nt; i++)
			pthread_create(&th[i], NULL, worker, (void *)(long)i);
		for (int i = 0; i < nt; i++) {
			void *r;
			pthread_join(th[i], &r);
			total += (unsigned long)r;
		}
		printf("threads: %d, sum %lu\n", nt, total);
		rc = 0;
	} else {
		fprintf(stderr, "usage: vk_prog leak|clean|images|churn N|threads [N]\n");
	}
	if (messenger) {
		PFN_vkDestroyDebugUtilsMessengerEXT destroy =
			(PFN_vkDestroyDebugUtilsMessengerEXT)vkGetInstanceProcAddr(instance, "vkDestroyDebugUtilsMessengerEXT");
		if (destroy)
			destroy(instance, messenger, NULL);
	}
	vkDestroyInstance(instance, NULL);
	return rc;
}
