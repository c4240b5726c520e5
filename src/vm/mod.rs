//! Running the suite inside QEMU on a kernel that is not the host's: unpack the kernel
//! (`kernel`), pick and order its modules (`modules`, `elf`), build an initramfs whose /init is
//! kcanary itself (`cpio`, `initramfs`), boot it (`qemu`, `console`), let the guest run the
//! scenarios (`guest`) and send results back over the second serial port (`protocol`), then
//! merge rounds per kernel (`merge`). `session` ties the steps together; `compare` compares
//! the kernels of a session with the gate (never across execution modes) and `bisect` turns
//! that into one `git bisect run` step.

pub mod bisect;
pub mod bundle;
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
