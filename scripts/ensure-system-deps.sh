#!/usr/bin/env bash
# System packages the tests need, installed only when missing (CI machines start bare).
# Debian's chromium brings the SwiftShader Vulkan driver that WebGPU tests run on without a GPU.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# Dawn (the `webgpu` npm package) loads the Vulkan loader itself; chromium does not depend on it.
ldconfig -p | grep -q 'libvulkan.so.1 ' || need+=(libvulkan1)
if [ ${#need[@]} -gt 0 ]; then
  echo "== installing system packages: ${need[*]}"
  SUDO=''
  [ "$(id -u)" -eq 0 ] || SUDO='sudo'
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
