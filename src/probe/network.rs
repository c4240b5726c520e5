//! The network probe: UDP ping-pong over a veth pair between two network namespaces kcanary
//! creates, both ends pinned to one CPU. A round trip crosses the veth twice and runs the
//! NET_RX softirq twice, so anything that holds softirqs off on that CPU (the pre-6.2 IPVS
//! estimation timer) shows up as a long round trip.

use super::cpu::pin_current_thread;
use super::distribution::Distribution;
use super::veth::Rtnetlink;
use crate::error::{KcanaryError, Result};
use crate::isolate::netns::enter_fresh_netns;
use std::fs::File;
use std::net::{Ipv4Addr, SocketAddrV4, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Addresses live only inside the two namespaces the probe creates.
const CLIENT_ADDRESS: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 1);
const SERVER_ADDRESS: Ipv4Addr = Ipv4Addr::new(10, 77, 0, 2);
const CLIENT_PORT: u16 = 7001;
const SERVER_PORT: u16 = 7002;
const CLIENT_LINK: &str = "kcanary-a";
const SERVER_LINK: &str = "kcanary-b";
/// A one-byte datagram tells the echo side to stop.
const STOP: [u8; 1] = [0xff];
const PAYLOAD_BYTES: usize = 32;
/// Round trips before timing starts (ARP, socket caches, the first wake-ups).
const WARMUP_ROUND_TRIPS: usize = 1_000;
/// A lost datagram would block forever; no sane round trip takes this long.
const RECEIVE_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub struct NetworkProbeConfig {
    pub cpu: usize,
    /// Keep going at least this long (cover several 2-second estimator periods)...
    pub duration: Duration,
    /// ...and at least this many round trips...
    pub min_round_trips: usize,
    /// ...but never more than this many (the sample buffer is allocated up front).
    pub max_round_trips: usize,
}

/// Round-trip times of one probe run.
#[derive(Debug)]
pub struct NetworkProbeReport {
    pub cpu: usize,
    pub round_trips: Distribution,
    pub elapsed: Duration,
}

/// Runs the ping-pong on two new threads in two new namespaces and returns the round-trip times.
pub fn run_network_probe(config: &NetworkProbeConfig) -> Result<NetworkProbeReport> {
    let (netns_sender, netns_receiver) = mpsc::channel::<File>();
    let (veth_sender, veth_receiver) = mpsc::channel::<()>();
    let (ready_sender, ready_receiver) = mpsc::channel::<()>();
    let cpu = config.cpu;
    let echo = std::thread::Builder::new()
        .name("kcanary-probe-echo".into())
        .spawn(move || -> Result<()> {
            enter_fresh_netns()?;
            let netns = File::open("/proc/thread-self/ns/net")
                .map_err(|e| KcanaryError::Io(format!("cannot open the probe's namespace: {e}")))?;
            let _ = netns_sender.send(netns);
            // Wait until the client has created the pair and moved our end here.
            veth_receiver
                .recv()
                .map_err(|_| KcanaryError::Io("probe client gave up".into()))?;
            Rtnetlink::open()?.address_and_up(SERVER_LINK, SERVER_ADDRESS, 24)?;
            let socket = bound_socket(SERVER_ADDRESS, SERVER_PORT, CLIENT_ADDRESS, CLIENT_PORT)?;
            pin_current_thread(cpu)?;
            let _ = ready_sender.send(());
            echo_until_stopped(&socket)
        })
        .map_err(|e| KcanaryError::Io(format!("cannot start probe thread: {e}")))?;
    let config = config.clone();
    let client = std::thread::Builder::new()
        .name("kcanary-probe-ping".into())
        .spawn(move || -> Result<NetworkProbeReport> {
            enter_fresh_netns()?;
            let peer_netns = netns_receiver
                .recv()
                .map_err(|_| KcanaryError::Io("probe echo side failed".into()))?;
            let mut rtnetlink = Rtnetlink::open()?;
            rtnetlink.create_veth(CLIENT_LINK, SERVER_LINK, peer_netns.as_raw_fd())?;
            drop(peer_netns);
            rtnetlink.address_and_up(CLIENT_LINK, CLIENT_ADDRESS, 24)?;
            let _ = veth_sender.send(());
            ready_receiver
                .recv()
                .map_err(|_| KcanaryError::Io("probe echo side failed".into()))?;
            let socket = bound_socket(CLIENT_ADDRESS, CLIENT_PORT, SERVER_ADDRESS, SERVER_PORT)?;
            pin_current_thread(config.cpu)?;
            let result = ping(&socket, &config);
            let _ = socket.send(&STOP);
            result
        })
        .map_err(|e| KcanaryError::Io(format!("cannot start probe thread: {e}")))?;
    let client_result = client
        .join()
        .map_err(|_| KcanaryError::Io("probe thread panicked".into()))?;
    let echo_result = echo
        .join()
        .map_err(|_| KcanaryError::Io("probe thread panicked".into()))?;
    // When setup failed on the echo side, its error is the informative one.
    echo_result?;
    client_result
}

fn bound_socket(
    local: Ipv4Addr,
    local_port: u16,
    remote: Ipv4Addr,
    remote_port: u16,
) -> Result<UdpSocket> {
    let io =
        |what: &str, e: std::io::Error| KcanaryError::Kernel(format!("probe socket: {what}: {e}"));
    let socket =
        UdpSocket::bind(SocketAddrV4::new(local, local_port)).map_err(|e| io("bind", e))?;
    socket
        .connect(SocketAddrV4::new(remote, remote_port))
        .map_err(|e| io("connect", e))?;
    socket
        .set_read_timeout(Some(RECEIVE_TIMEOUT))
        .map_err(|e| io("timeout", e))?;
    Ok(socket)
}

fn echo_until_stopped(socket: &UdpSocket) -> Result<()> {
    let mut buffer = [0u8; 64];
    loop {
        let length = socket
            .recv(&mut buffer)
            .map_err(|e| KcanaryError::Kernel(format!("probe echo receive: {e}")))?;
        if buffer[..length] == STOP {
            return Ok(());
        }
        socket
            .send(&buffer[..length])
            .map_err(|e| KcanaryError::Kernel(format!("probe echo send: {e}")))?;
    }
}

/// The timed loop: nothing is allocated inside it (the sample vector is reserved up front).
fn ping(socket: &UdpSocket, config: &NetworkProbeConfig) -> Result<NetworkProbeReport> {
    let mut payload = [0u8; PAYLOAD_BYTES];
    let mut reply = [0u8; 64];
    let mut round_trip =
        |sequence: u64, payload: &mut [u8; PAYLOAD_BYTES]| -> std::io::Result<bool> {
            payload[..8].copy_from_slice(&sequence.to_ne_bytes());
            socket.send(payload)?;
            let length = socket.recv(&mut reply)?;
            Ok(length == PAYLOAD_BYTES && reply[..8] == payload[..8])
        };
    let failed = |e: std::io::Error| {
        KcanaryError::Kernel(format!("probe round trip: {e} (a lost datagram?)"))
    };
    for sequence in 0..WARMUP_ROUND_TRIPS as u64 {
        round_trip(sequence, &mut payload).map_err(failed)?;
    }
    let capacity = config.max_round_trips.max(config.min_round_trips);
    let mut samples_ns: Vec<u64> = Vec::with_capacity(capacity);
    let mut mismatched = 0usize;
    let started = Instant::now();
    while samples_ns.len() < capacity {
        let sent_at = Instant::now();
        let matched = round_trip(samples_ns.len() as u64, &mut payload).map_err(failed)?;
        samples_ns.push(sent_at.elapsed().as_nanos() as u64);
        mismatched += usize::from(!matched);
        if samples_ns.len() >= config.min_round_trips
            && samples_ns.len().is_multiple_of(256)
            && started.elapsed() >= config.duration
        {
            break;
        }
    }
    let elapsed = started.elapsed();
    if mismatched > 0 {
        return Err(KcanaryError::Kernel(format!(
            "probe: {mismatched} replies did not match their request"
        )));
    }
    Ok(NetworkProbeReport {
        cpu: config.cpu,
        round_trips: Distribution::new(samples_ns),
        elapsed,
    })
}
