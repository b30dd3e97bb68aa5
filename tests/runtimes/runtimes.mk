# Programs of our own that run on real third-party runtimes: OpenCL on
# PoCL (a CPU device) through the ICD loader, Vulkan on Mesa's lavapipe
# with the Khronos validation layer.  `make test` installs the Debian
# packages (as root; otherwise scripts/deps.sh prints the apt-get line).
RUNTIME_PKGS := pocl-opencl-icd ocl-icd-opencl-dev opencl-c-headers \
	mesa-vulkan-drivers vulkan-validationlayers libvulkan-dev
RUNTIME_PROGS := $(BUILD)/tests/cl_prog $(BUILD)/tests/vk_prog $(BUILD)/tests/cl_ext \
	$(BUILD)/tests/libbtfakeicd.so $(BUILD)/tests/btfakeicd.icd

$(BUILD)/.runtime-deps: scripts/deps.sh tests/runtimes/runtimes.mk
	@scripts/deps.sh $(RUNTIME_PKGS)
	@mkdir -p $(BUILD) && touch $@

$(BUILD)/tests/cl_prog: tests/runtimes/cl_prog.c | $(BUILD)/.runtime-deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(CWARN) $(SAN) $< -o $@ -lOpenCL -lpthread

$(BUILD)/tests/vk_prog: tests/runtimes/vk_prog.c | $(BUILD)/.runtime-deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(CWARN) $(SAN) $< -o $@ -lvulkan -lpthread

# the stand-in ICD for extension entry points (fake_icd.c), and the .icd
# file that points the ICD loader at it (OCL_ICD_VENDORS=that file)
$(BUILD)/tests/cl_ext: tests/runtimes/cl_ext.c | $(BUILD)/.runtime-deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g $(CWARN) $(SAN) $< -o $@ -lOpenCL
$(BUILD)/tests/libbtfakeicd.so: tests/runtimes/fake_icd.c | $(BUILD)/.runtime-deps
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -D_GNU_SOURCE -O1 -g -fPIC -shared -fvisibility=hidden $(CWARN) $(SAN) $< -o $@
$(BUILD)/tests/btfakeicd.icd: $(BUILD)/tests/libbtfakeicd.so
	@echo "$(abspath $<)" > $@

.PHONY: runtime-progs
runtime-progs: $(RUNTIME_PROGS)
