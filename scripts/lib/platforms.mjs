// Release platforms: Go's GOOS/GOARCH names (as in the Go release's tarball names) mapped to
// koffi's platform package and the directory of its native module; `gnu`: the GNU triplet of its
// C cross compiler (<gnu>-gcc), which builds cni_sys.node for it when installed.
export const PLATFORMS = [
  {
    os: 'linux',
    arch: 'amd64',
    koffiPkg: 'linux-x64',
    triplet: 'linux_x64',
    nodeArch: 'x64',
    gnu: 'x86_64-linux-gnu',
  },
  {
    os: 'linux',
    arch: 'arm64',
    koffiPkg: 'linux-arm64',
    triplet: 'linux_arm64',
    nodeArch: 'arm64',
    gnu: 'aarch64-linux-gnu',
  },
  {
    os: 'linux',
    arch: 'arm',
    koffiPkg: 'linux-arm',
    triplet: 'linux_armhf',
    nodeArch: 'arm',
    gnu: 'arm-linux-gnueabihf',
  },
  {
    os: 'linux',
    arch: '386',
    koffiPkg: 'linux-ia32',
    triplet: 'linux_ia32',
    nodeArch: 'ia32',
    gnu: 'i686-linux-gnu',
  },
  {
    os: 'linux',
    arch: 'riscv64',
    koffiPkg: 'linux-riscv64',
    triplet: 'linux_riscv64d',
    nodeArch: 'riscv64',
    gnu: 'riscv64-linux-gnu',
  },
  {
    os: 'linux',
    arch: 'ppc64le',
    koffiPkg: 'linux-ppc64',
    triplet: 'linux_ppc64le',
    nodeArch: 'ppc64',
    gnu: 'powerpc64le-linux-gnu',
  },
  {
    os: 'linux',
    arch: 'loong64',
    koffiPkg: 'linux-loong64',
    triplet: 'linux_loong64',
    nodeArch: 'loong64',
    gnu: 'loongarch64-linux-gnu',
  },
  { os: 'windows', arch: 'amd64', koffiPkg: 'win32-x64', triplet: 'win32_x64', nodeArch: 'x64' },
  { os: 'windows', arch: 'arm64', koffiPkg: 'win32-arm64', triplet: 'win32_arm64', nodeArch: 'arm64' },
];
