#!/usr/bin/env bash
# Installs the Debian packages the project needs, when missing:
#   site: what WeasyPrint needs to write PDFs (Pango, fonts, and HarfBuzz's subsetter: without
#         it WeasyPrint subsets fonts with fontTools, which gives other bytes, and Chromium
#         pulls it in, so both profiles must have it for the PDFs to be the same);
#   test: also Chromium (browser tests), poppler-utils (pdftoppm, to look at PDFs) and
#         hunspell with the Norwegian dictionaries (spelling check).
set -euo pipefail

profile="${1:-test}"
packages=(libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core)
if [ "$profile" = "test" ]; then
  packages+=(chromium poppler-utils hunspell hunspell-no)
  # npm installs axe-core for the accessibility tests; Node.js may come from elsewhere.
  command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

need=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    need+=("$package")
  fi
done

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing system packages: ${need[*]}." >&2
  echo "Install them (Debian/Ubuntu: sudo apt-get install --no-install-recommends ${need[*]}) and run again." >&2
  exit 1
fi
echo "Installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
