#!/bin/sh
# The Vulkan loader's manifest of buftrace's layer (preload/layer_vulkan.c).
# Usage: scripts/vk-manifest.sh LAYER_NAME LIBRARY_FILE_NAME
# The library path is relative to the manifest, which sits next to it.
cat <<JSON
{
    "file_format_version": "1.1.2",
    "layer": {
        "name": "$1",
        "type": "GLOBAL",
        "library_path": "./$2",
        "api_version": "1.3.0",
        "implementation_version": "1",
        "description": "buftrace: who created the device memory, buffers and images still alive at vkDestroyDevice",
        "functions": {
            "vkNegotiateLoaderLayerInterfaceVersion": "bt_vkNegotiateLoaderLayerInterfaceVersion",
            "vkGetInstanceProcAddr": "bt_vkGetInstanceProcAddr",
            "vkGetDeviceProcAddr": "bt_vkGetDeviceProcAddr"
        }
    }
}
JSON
