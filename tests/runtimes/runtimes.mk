# Programs of our own that run on real third-party runtimes: OpenCL on
# PoCL (a CPU device) through the ICD loader, Vulkan on Mesa's lavapipe
# with the Khronos validation layer.  `make test` installs the Debian
# packages (as root; otherwise scripts/deps.sh prints the apt-get line).
RUNTIME_PKGS := pocl-opencl-icd ocl-icd-opencl-dev opencl-c-headers \
	mesa-vulkan-drivers vulkan-validationlayers libvulkan-dev
RUNTIME_PROGS := $(BUILD)/tests/cl_prog $(BUILD)/tests/vk_prog

$(BUILD)/.runtime-deps: scripts/deps.sh tests/runtimes/runtimes.mk
	@scripts/deps.sh $(RUNTIME_PKGS)
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/tests/cl_prog: tests/runtimes/cl_prog.c | $(BUILD)/.runtime-deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(CWARN) $(SAN) $< -o $@ -lOpenCL -lpthread

$(BUILD)/tests/vk_prog: tests/runtimes/vk_prog.c | $(BUILD)/.runtime-deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(CWARN) $(SAN) $< -o $@ -lvulkan -lpthread

.PHONY: runtime-progs
runtime-progs: $(RUNTIME_PROGS)
