// Package vm holds the host-side tests of the test VM: build.sh makes a
// bootable Debian kernel and initramfs from Debian packages, run.sh boots it
// under qemu (software emulation) with a payload and returns the payload's
// exit code, vmtest.sh runs every vmtest-tagged test inside it. See README.md.
package vm
