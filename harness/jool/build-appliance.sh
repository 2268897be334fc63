#!/bin/bash
# Builds the disk-less Jool appliance the `jool` target boots: a Debian kernel
# plus an initramfs holding only what the translator needs (Jool's modules and
# tools, iproute2, ethtool, kmod, busybox, tini, qemu-guest-agent).
# Everything comes from Debian packages; nothing is compiled except Jool's
# kernel modules, which jool-dkms builds against the guest's kernel.
#
# usage: build-appliance.sh OUTDIR
#   writes OUTDIR/vmlinuz, OUTDIR/initrd.img, OUTDIR/versions.json
#   needs root, debootstrap, cpio, zstd and the Debian mirror of /etc/apt/sources*
set -euo pipefail
OUT=$(realpath -m "${1:?usage: build-appliance.sh OUTDIR}")
SUITE=${NAT64LAB_JOOL_SUITE:-bookworm}
W=$(mktemp -d "${OUT%/*}/nlj-build.XXXXXX")
R=$W/rootfs; A=$W/appl
T0=$(date +%s)
step() { echo "jool build: $(( $(date +%s) - T0 )) s: $*"; }

# The mirror the host itself uses, so the build works wherever apt does.
MIRROR=${NAT64LAB_DEBIAN_MIRROR:-$(grep -hoE '^(URIs:|deb) +https?://[^ ]+/debian/?( |$)' /etc/apt/sources.list /etc/apt/sources.list.d/* 2>/dev/null \
  | grep -oE 'https?://[^ ]+' | head -1 || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

cleanup() {
  for d in mnt/appl dev/pts dev sys proc; do mountpoint -q "$R/$d" 2>/dev/null && umount -l "$R/$d" || true; done
  # Never delete through a mount that is still there: it would reach the host's /dev or /sys.
  if grep -q " $W/" /proc/mounts; then echo "jool build: mounts left under $W; not removing it" >&2; else rm -rf "$W"; fi
}
trap cleanup EXIT

step "debootstrap $SUITE from $MIRROR"
debootstrap --variant=minbase --include=kmod,iproute2,ethtool,procps "$SUITE" "$R" "$MIRROR" >"$W/debootstrap.log" 2>&1 \
  || { tail -5 "$W/debootstrap.log" >&2; echo "jool build: debootstrap failed (log above)" >&2; exit 1; }

for d in proc sys dev dev/pts; do mount --bind "/$d" "$R/$d"; done
printf '#!/bin/sh\nexit 101\n' > "$R/usr/sbin/policy-rc.d"; chmod +x "$R/usr/sbin/policy-rc.d"
echo "deb $MIRROR $SUITE main" > "$R/etc/apt/sources.list"
export DEBIAN_FRONTEND=noninteractive LC_ALL=C
ch() { chroot "$R" "$@"; }
quiet() { local log=$1; shift; "$@" >"$log" 2>&1 || { tail -20 "$log" >&2; echo "jool build: '$*' failed" >&2; exit 1; }; }
quiet "$W/apt-update.log" ch apt-get update -q
# Kernel and headers first: jool-dkms builds for the newest kernel whose headers it can see.
step "installing the kernel"
quiet "$W/apt-kernel.log" ch apt-get install -y -q --no-install-recommends linux-image-amd64 linux-headers-amd64
KVER=$(ls "$R/lib/modules" | sort -V | tail -1)
step "kernel $KVER; building jool-dkms"
quiet "$W/apt-jool.log" ch apt-get install -y -q --no-install-recommends jool-dkms jool-tools qemu-guest-agent busybox tini tcpdump
JOOL=$(ch dpkg-query -W -f='${Version}' jool-dkms)
if ! ls "$R/lib/modules/$KVER/updates/dkms/"jool_common.ko* >/dev/null 2>&1; then
  # dkms built only for the host's running kernel: build for the guest's.
  quiet "$W/dkms.log" ch dkms install "jool/${JOOL%%-*}" -k "$KVER"
fi
ls "$R/lib/modules/$KVER/updates/dkms/"jool.ko* >/dev/null
step "jool $JOOL built; packing the appliance"

mkdir -p "$A"/{bin,sbin,usr/bin,usr/sbin,lib,lib64,etc,proc,sys,dev,run,tmp,root,mnt,var}
ln -s lib "$A/usr/lib"; ln -s /run "$A/var/run"   # qemu-ga keeps its state in /var/run
copy() {  # a file of the chroot plus the shared libraries it needs
  local f=$1; [ -e "$A$f" ] && return 0
  mkdir -p "$A$(dirname "$f")"; cp -aL "$R$f" "$A$f"
  { ch ldd "$f" 2>/dev/null || true; } | grep -o '/[^ ]*' | while read -r l; do
    [ -e "$A$l" ] || { mkdir -p "$A$(dirname "$l")"; cp -aL "$R$l" "$A$l"; }
  done || true
}
for f in /bin/busybox /usr/bin/tini-static /usr/bin/kmod /bin/ip /usr/sbin/ethtool /usr/bin/jool \
         /usr/bin/jool_siit /usr/sbin/qemu-ga /usr/bin/tcpdump /usr/sbin/sysctl; do copy "$f"; done
for a in $(ch /bin/busybox --list); do
  case $a in ip|sysctl|modprobe|insmod|rmmod|lsmod|depmod|modinfo) continue;; esac
  [ -e "$A/bin/$a" ] || ln -s busybox "$A/bin/$a"
done
for a in modprobe insmod rmmod lsmod depmod modinfo; do ln -sf /usr/bin/kmod "$A/sbin/$a"; done
for m in virtio_pci virtio_net virtio_console qemu_fw_cfg jool; do
  ch modprobe -S "$KVER" --show-depends "$m" | awk '/^insmod/{print $2}'
done | sort -u | while read -r ko; do mkdir -p "$A$(dirname "$ko")"; cp "$R$ko" "$A$ko"; done
cp "$R/lib/modules/$KVER/"modules.{order,builtin,builtin.modinfo} "$A/lib/modules/$KVER/"
mkdir -p "$R/mnt/appl"; mount --bind "$A" "$R/mnt/appl"; ch depmod -b /mnt/appl "$KVER"; umount "$R/mnt/appl"
printf 'root:x:0:0:root:/root:/bin/sh\n' > "$A/etc/passwd"; printf 'root:x:0:\n' > "$A/etc/group"

# PID 1. The lab's network setup arrives per boot through fw_cfg (opt/nlj/setup);
# the readiness line on ttyS0 is what the harness waits for.
cat > "$A/init" <<'I'
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
mount -t tmpfs run /run; mount -t tmpfs tmp /tmp; mkdir -p /dev/pts; mount -t devpts pts /dev/pts
exec </dev/console >/dev/console 2>&1
hostname nlj-jool
modprobe -a virtio_pci virtio_net virtio_console qemu_fw_cfg
ip link set lo up
QGA=   # no udev: find the agent's virtio-serial port by its name
for i in $(seq 400); do
  for p in /sys/class/virtio-ports/*; do [ "$(cat $p/name 2>/dev/null)" = org.qemu.guest_agent.0 ] && QGA=/dev/${p##*/}; done
  [ -e /sys/class/net/eth1 ] && [ -n "$QGA" ] && [ -e "$QGA" ] && break; sleep 0.05
done
F=/sys/firmware/qemu_fw_cfg/by_name/opt/nlj/setup/raw
R=READY
if [ -r $F ]; then
  cp $F /run/nlj-setup.sh
  sh -ex /run/nlj-setup.sh > /run/nlj-setup.log 2>&1 || R=FAILED
fi
echo "NLJ-$R uptime=$(cut -d' ' -f1 /proc/uptime)" > /dev/ttyS0
[ $R = FAILED ] && sed 's/^/NLJ-LOG /' /run/nlj-setup.log > /dev/ttyS0
exec /usr/bin/tini-static -- /usr/sbin/qemu-ga -m virtio-serial -p $QGA
I
chmod +x "$A/init"

mkdir -p "$OUT"
(cd "$A" && find . -print0 | cpio --null -o -H newc --quiet) | zstd -q -19 -T0 > "$OUT/initrd.img.new"
cp "$R/boot/vmlinuz-$KVER" "$OUT/vmlinuz.new"
KPKG=$(ch dpkg-query -W -f='${Version}' "linux-image-$KVER")
QGA=$(ch dpkg-query -W -f='${Version}' qemu-guest-agent)
cat > "$OUT/versions.json.new" <<J
{
  "kernel": "$KVER ($KPKG)",
  "jool": "$JOOL",
  "qemuGuestAgent": "$QGA",
  "debian": "$SUITE",
  "mirror": "$MIRROR",
  "built": "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
}
J
# versions.json last: its presence marks a complete appliance.
mv "$OUT/vmlinuz.new" "$OUT/vmlinuz"; mv "$OUT/initrd.img.new" "$OUT/initrd.img"; mv "$OUT/versions.json.new" "$OUT/versions.json"
step "appliance ready in $OUT (vmlinuz $(stat -c%s "$OUT/vmlinuz") B, initrd.img $(stat -c%s "$OUT/initrd.img") B)"
