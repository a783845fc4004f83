# Sourced by .ci/run. The Native AOT test links with clang-14 (the image ships it); install it where it is missing.
if ! command -v clang-14 >/dev/null 2>&1; then
  echo "clang-14 not found: installing it for the Native AOT test"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang-14 zlib1g-dev >/dev/null
fi
