//! Checks that what the kernel dumps back is what a workload created, so a scenario run in a
//! VM asserts counts and attributes instead of only timing requests.

use super::client::IpvsClient;
use super::message::{Destination, ServiceKey};
use super::table::TableEntry;
use crate::error::{KcanaryError, Result};
use std::collections::HashMap;

/// Dumps every service and compares it with `table`: same count, and each service with the
/// key, scheduler, flags, timeout and netmask it was created with. Then dumps the real servers
/// of up to `dest_samples` services spread over the table and compares them too.
pub fn table_matches(
    client: &mut IpvsClient,
    table: &[TableEntry],
    dest_samples: usize,
) -> Result<()> {
    let dumped = client
        .services()
        .map_err(|e| KcanaryError::Kernel(format!("dumping services: {e}")))?;
    if dumped.len() != table.len() {
        return Err(KcanaryError::Kernel(format!(
            "the kernel dumped {} services, {} were created",
            dumped.len(),
            table.len()
        )));
    }
    let expected: HashMap<ServiceKey, &TableEntry> =
        table.iter().map(|e| (e.service.key, e)).collect();
    for found in &dumped {
        let Some(entry) = expected.get(&found.service.key) else {
            return Err(KcanaryError::Kernel(format!(
                "the kernel dumped unknown service {}",
                found.service.key
            )));
        };
        let wanted = &entry.service;
        let got = &found.service;
        // The kernel adds IP_VS_SVC_F_HASHED (0x2) to the flags it reports.
        const HASHED: u32 = 0x0002;
        if got.scheduler != wanted.scheduler
            || got.flags & !HASHED != wanted.flags
            || got.timeout_s != wanted.timeout_s
            || got.netmask != wanted.netmask
        {
            return Err(KcanaryError::Kernel(format!(
                "service {} came back as {got:?}, created as {wanted:?}",
                wanted.key
            )));
        }
    }
    let step = (table.len() / dest_samples.max(1)).max(1);
    for entry in table.iter().step_by(step).take(dest_samples) {
        let key = &entry.service.key;
        let found = client
            .destinations(key)
            .map_err(|e| KcanaryError::Kernel(format!("dumping real servers of {key}: {e}")))?;
        if !same_destinations(&found, &entry.destinations) {
            return Err(KcanaryError::Kernel(format!(
                "service {key} has real servers {found:?}, created with {:?}",
                entry.destinations
            )));
        }
    }
    Ok(())
}

fn same_destinations(found: &[Destination], wanted: &[Destination]) -> bool {
    found.len() == wanted.len() && wanted.iter().all(|w| found.contains(w))
}

/// After a flush, the dump must be empty.
pub fn table_is_empty(client: &mut IpvsClient) -> Result<()> {
    let left = client
        .services()
        .map_err(|e| KcanaryError::Kernel(format!("dumping services: {e}")))?
        .len();
    if left != 0 {
        return Err(KcanaryError::Kernel(format!(
            "{left} services left after FLUSH"
        )));
    }
    Ok(())
}
