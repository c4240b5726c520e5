//! Running the suite inside QEMU on a kernel that is not the host's: unpack the kernel
//! (`kernel`), pick and order its modules (`modules`, `elf`), build an initramfs whose /init is
//! kcanary itself (`cpio`, `initramfs`), boot it (`qemu`, `console`), let the guest run the
//! scenarios (`guest`) and send results back over the second serial port (`protocol`), then
//! merge rounds per kernel (`merge`); kernels are compared by the gate, with one extra rule
//! (`compare`: never across execution modes). `session` ties the steps together for
//! `kcanary vm` and `kcanary bisect-step`.

pub mod compare;
pub mod console;
pub mod cpio;
pub mod elf;
pub mod guest;
pub mod hide_user_ns;
pub mod initramfs;
pub mod kernel;
pub mod merge;
pub mod modules;
pub mod protocol;
pub mod qemu;
pub mod session;
pub mod shared_libs;
