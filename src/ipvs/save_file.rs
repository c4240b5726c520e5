//! The `ipvsadm -S` / `ipvsadm -R` file format: one ipvsadm command per line, without the
//! program name (`-A -t 10.0.0.1:80 -s rr`, `-a -t 10.0.0.1:80 -r 10.1.0.1:8080 -m -w 2`).
//! Numeric addresses and ports only (what `ipvsadm -S -n` writes); anything else is an error
//! naming FILE:LINE and what was expected.

use super::message::{Destination, ForwardMethod, Protocol, Service, ServiceKey, default_netmask};
use super::protocol::service_flag;
use crate::error::{KcanaryError, Result};
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;

/// ipvsadm's default scheduler when `-s` is not given.
pub const DEFAULT_SCHEDULER: &str = "wlc";
/// ipvsadm's default persistence timeout for a bare `-p`.
pub const DEFAULT_PERSISTENCE_S: u32 = 300;

/// One command of a save file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    AddService(Service),
    EditService(Service),
    DeleteService(ServiceKey),
    AddServer(ServiceKey, Destination),
    EditServer(ServiceKey, Destination),
    DeleteServer(ServiceKey, Destination),
    /// `-C`: delete everything.
    Clear,
    /// `-Z`: zero the counters of one service, or all.
    Zero(Option<ServiceKey>),
}

impl Command {
    /// The kind, by which replay groups latencies.
    pub fn kind(&self) -> CommandKind {
        match self {
            Command::AddService(_) => CommandKind::AddService,
            Command::EditService(_) => CommandKind::EditService,
            Command::DeleteService(_) => CommandKind::DeleteService,
            Command::AddServer(..) => CommandKind::AddServer,
            Command::EditServer(..) => CommandKind::EditServer,
            Command::DeleteServer(..) => CommandKind::DeleteServer,
            Command::Clear => CommandKind::Clear,
            Command::Zero(_) => CommandKind::Zero,
        }
    }
}

/// What a line asks for, before its options are read: what the parser dispatches on and what
/// replay groups latencies by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CommandKind {
    AddService,
    EditService,
    DeleteService,
    AddServer,
    EditServer,
    DeleteServer,
    Clear,
    Zero,
}

impl CommandKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [CommandKind; 8] = [
        CommandKind::AddService,
        CommandKind::EditService,
        CommandKind::DeleteService,
        CommandKind::AddServer,
        CommandKind::EditServer,
        CommandKind::DeleteServer,
        CommandKind::Clear,
        CommandKind::Zero,
    ];

    /// As in metric names (`add_service_ns`) and error messages.
    pub fn name(self) -> &'static str {
        match self {
            CommandKind::AddService => "add_service",
            CommandKind::EditService => "edit_service",
            CommandKind::DeleteService => "delete_service",
            CommandKind::AddServer => "add_server",
            CommandKind::EditServer => "edit_server",
            CommandKind::DeleteServer => "delete_server",
            CommandKind::Clear => "clear",
            CommandKind::Zero => "zero",
        }
    }
}

/// A command and the 1-based line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaveLine {
    pub line: usize,
    pub command: Command,
}

/// Reads (once and bounded: see [`crate::text_input`]) and parses a save file.
pub fn load(path: &Path) -> Result<Vec<SaveLine>> {
    let text = crate::text_input::read_text_once(path)?;
    parse(path, &text)
}

/// Parses save-file text; `path` names it in errors.
pub fn parse(path: &Path, text: &str) -> Result<Vec<SaveLine>> {
    let mut lines = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let content = raw.split('#').next().unwrap_or("").trim();
        if content.is_empty() {
            continue;
        }
        let command = parse_line(content)
            .map_err(|message| KcanaryError::bad_input(path, Some(index + 1), message))?;
        lines.push(SaveLine {
            line: index + 1,
            command,
        });
    }
    Ok(lines)
}

/// True when `text` looks like `ipvsadm -S` output rather than an ipset save file: the first
/// command line is an ipvsadm command followed by a service option. (ipset's legacy `-A set`
/// is followed by a set name, never by an option.)
pub fn looks_like_ipvsadm_save(text: &str) -> bool {
    let Some(first) = text
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .find(|l| !l.is_empty())
    else {
        return false;
    };
    let mut words = first.split_whitespace();
    let command = words.next().unwrap_or("");
    let next = words.next();
    match command {
        "-C" | "--clear" => next.is_none(),
        "-Z" | "--zero" => next.is_none_or(is_service_option),
        _ => command_kind(command).is_some() && next.is_some_and(is_service_option),
    }
}

fn is_service_option(word: &str) -> bool {
    matches!(
        word,
        "-t" | "-u"
            | "-f"
            | "--tcp-service"
            | "--udp-service"
            | "--sctp-service"
            | "--fwmark-service"
    )
}

fn command_kind(word: &str) -> Option<CommandKind> {
    Some(match word {
        "-A" | "--add-service" => CommandKind::AddService,
        "-E" | "--edit-service" => CommandKind::EditService,
        "-D" | "--delete-service" => CommandKind::DeleteService,
        "-a" | "--add-server" => CommandKind::AddServer,
        "-e" | "--edit-server" => CommandKind::EditServer,
        "-d" | "--delete-server" => CommandKind::DeleteServer,
        "-C" | "--clear" => CommandKind::Clear,
        "-Z" | "--zero" => CommandKind::Zero,
        _ => return None,
    })
}

/// Everything one line may say, before we check it makes sense for its command.
#[derive(Default)]
struct Options {
    service: Option<(Option<Protocol>, String)>,
    ipv6_mark: bool,
    scheduler: Option<String>,
    persistence_s: Option<u32>,
    netmask: Option<String>,
    flags: u32,
    engine: Option<String>,
    server: Option<String>,
    forward: Option<ForwardMethod>,
    weight: Option<u32>,
    upper_threshold: Option<u32>,
    lower_threshold: Option<u32>,
}

fn parse_line(content: &str) -> std::result::Result<Command, String> {
    let mut words = content.split_whitespace().peekable();
    let first = words.next().unwrap_or("");
    let kind = command_kind(first).ok_or_else(|| {
        format!("expected an ipvsadm command (-A, -E, -D, -a, -e, -d, -C or -Z), found '{first}'")
    })?;
    let mut o = Options::default();
    while let Some(option) = words.next() {
        let mut value = |what: &str| {
            words
                .next()
                .map(str::to_string)
                .ok_or_else(|| format!("option {option} needs {what}"))
        };
        match option {
            "-t" | "--tcp-service" => {
                o.service = Some((Some(Protocol::Tcp), value("ADDRESS:PORT")?))
            }
            "-u" | "--udp-service" => {
                o.service = Some((Some(Protocol::Udp), value("ADDRESS:PORT")?))
            }
            "--sctp-service" => o.service = Some((Some(Protocol::Sctp), value("ADDRESS:PORT")?)),
            "-f" | "--fwmark-service" => o.service = Some((None, value("a firewall mark")?)),
            "-6" | "--ipv6" => o.ipv6_mark = true,
            "-s" | "--scheduler" => o.scheduler = Some(value("a scheduler name")?),
            "-p" | "--persistent" => {
                // The timeout is optional: take the next word only when it is a number.
                let timeout = words.next_if(|w| w.parse::<u32>().is_ok());
                o.persistence_s =
                    Some(timeout.map_or(DEFAULT_PERSISTENCE_S, |t| t.parse().unwrap_or(0)));
            }
            "-M" | "--netmask" => o.netmask = Some(value("a netmask")?),
            "-b" | "--sched-flags" => o.flags |= scheduler_flags(&value("scheduler flags")?)?,
            "-o" | "--ops" => o.flags |= service_flag::ONEPACKET,
            "--pe" => o.engine = Some(value("a persistence engine name")?),
            "-r" | "--real-server" => o.server = Some(value("ADDRESS[:PORT]")?),
            "-g" | "--gatewaying" => o.forward = Some(ForwardMethod::DirectRoute),
            "-i" | "--ipip" => o.forward = Some(ForwardMethod::Tunnel),
            "-m" | "--masquerading" => o.forward = Some(ForwardMethod::Masquerade),
            "-w" | "--weight" => o.weight = Some(number(&value("a weight")?, "weight")?),
            "-x" | "--u-threshold" => {
                o.upper_threshold = Some(number(&value("a threshold")?, "upper threshold")?)
            }
            "-y" | "--l-threshold" => {
                o.lower_threshold = Some(number(&value("a threshold")?, "lower threshold")?)
            }
            other => {
                return Err(format!(
                    "unsupported option '{other}' (kcanary reads -t -u --sctp-service -f -6 -s -p -M -b -o --pe -r -g -i -m -w -x -y)"
                ));
            }
        }
    }
    build(kind, o, first)
}

fn build(kind: CommandKind, o: Options, command: &str) -> std::result::Result<Command, String> {
    if kind == CommandKind::Clear {
        return if o.service.is_some() {
            Err("-C takes no service".into())
        } else {
            Ok(Command::Clear)
        };
    }
    let key = match &o.service {
        Some((protocol, text)) => Some(service_key(*protocol, text, o.ipv6_mark)?),
        None => None,
    };
    if kind == CommandKind::Zero {
        return Ok(Command::Zero(key));
    }
    let key = key.ok_or_else(|| {
        format!("{command} needs a service: -t ADDRESS:PORT, -u ADDRESS:PORT or -f MARK")
    })?;
    match kind {
        CommandKind::AddService | CommandKind::EditService => {
            let service = service(key, &o)?;
            Ok(if kind == CommandKind::AddService {
                Command::AddService(service)
            } else {
                Command::EditService(service)
            })
        }
        CommandKind::DeleteService => Ok(Command::DeleteService(key)),
        _ => {
            let text = o
                .server
                .as_deref()
                .ok_or_else(|| format!("{command} needs a real server: -r ADDRESS[:PORT]"))?;
            let mut destination = destination(&key, text, &o)?;
            // Like ipvsadm: direct routing and tunnels cannot map ports, so when adding or
            // editing such a real server of an address service, its port is the service's.
            if let (
                CommandKind::AddServer | CommandKind::EditServer,
                ServiceKey::Address { port, .. },
            ) = (kind, &key)
                && matches!(
                    destination.forward,
                    ForwardMethod::DirectRoute | ForwardMethod::Tunnel
                )
            {
                destination.port = *port;
            }
            Ok(match kind {
                CommandKind::AddServer => Command::AddServer(key, destination),
                CommandKind::EditServer => Command::EditServer(key, destination),
                _ => Command::DeleteServer(key, destination),
            })
        }
    }
}

fn service(key: ServiceKey, o: &Options) -> std::result::Result<Service, String> {
    let mut service = Service::new(key, o.scheduler.as_deref().unwrap_or(DEFAULT_SCHEDULER));
    service.flags = o.flags;
    service.persistence_engine = o.engine.clone();
    if let Some(timeout) = o.persistence_s {
        service.flags |= service_flag::PERSISTENT;
        service.timeout_s = timeout;
    }
    if let Some(mask) = &o.netmask {
        service.netmask = netmask(mask, key.is_ipv6())?;
    }
    Ok(service)
}

fn destination(
    key: &ServiceKey,
    text: &str,
    o: &Options,
) -> std::result::Result<Destination, String> {
    let (address, port) = address_and_port(text, false)?;
    let default_port = match key {
        ServiceKey::Address { port, .. } => *port,
        ServiceKey::FirewallMark { .. } => 0,
    };
    let mut destination = Destination::new(address, port.unwrap_or(default_port));
    destination.forward = o.forward.unwrap_or(ForwardMethod::DirectRoute);
    destination.weight = o.weight.unwrap_or(1);
    destination.upper_threshold = o.upper_threshold.unwrap_or(0);
    destination.lower_threshold = o.lower_threshold.unwrap_or(0);
    Ok(destination)
}

fn service_key(
    protocol: Option<Protocol>,
    text: &str,
    ipv6_mark: bool,
) -> std::result::Result<ServiceKey, String> {
    match protocol {
        None => Ok(ServiceKey::FirewallMark {
            ipv6: ipv6_mark,
            mark: number(text, "firewall mark")?,
        }),
        Some(protocol) => {
            let (address, port) = address_and_port(text, true)?;
            Ok(ServiceKey::Address {
                protocol,
                address,
                port: port.unwrap_or(0),
            })
        }
    }
}

/// `1.2.3.4:80`, `[2001:db8::1]:80`, or without the port when `port_required` is false.
fn address_and_port(
    text: &str,
    port_required: bool,
) -> std::result::Result<(IpAddr, Option<u16>), String> {
    let numeric = "expected a numeric ADDRESS:PORT such as 10.0.0.1:80 or [2001:db8::1]:80 \
                   (write the file with `ipvsadm -S -n`)";
    let (address, port) = if let Some(rest) = text.strip_prefix('[') {
        let (address, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("'{text}': missing ']'; {numeric}"))?;
        (address, after.strip_prefix(':'))
    } else if text.matches(':').count() == 1 {
        let (address, port) = text.split_once(':').unwrap_or((text, ""));
        (address, Some(port))
    } else {
        (text, None)
    };
    let address: IpAddr = address
        .parse()
        .map_err(|_| format!("'{text}': {numeric}"))?;
    let port = match port {
        Some(p) => Some(
            p.parse::<u16>()
                .map_err(|_| format!("'{text}': port '{p}' is not a number 0-65535; {numeric}"))?,
        ),
        None if port_required => return Err(format!("'{text}': no port; {numeric}")),
        None => None,
    };
    Ok((address, port))
}

fn number(text: &str, what: &str) -> std::result::Result<u32, String> {
    text.parse()
        .map_err(|_| format!("{what} must be a non-negative integer, found '{text}'"))
}

/// `-M`: a dotted IPv4 mask, or an IPv6 prefix length.
fn netmask(text: &str, ipv6: bool) -> std::result::Result<[u8; 4], String> {
    if ipv6 {
        let prefix = number(text, "IPv6 netmask (prefix length)")?;
        if !(1..=128).contains(&prefix) {
            return Err(format!("IPv6 netmask must be 1-128, found {prefix}"));
        }
        return Ok(prefix.to_ne_bytes());
    }
    let mask: Ipv4Addr = text
        .parse()
        .map_err(|_| format!("expected a netmask such as 255.255.255.0, found '{text}'"))?;
    let bits = u32::from(mask);
    if bits.leading_ones() + bits.trailing_zeros() != 32 {
        return Err(format!("netmask '{text}' is not contiguous"));
    }
    Ok(mask.octets())
}

fn scheduler_flags(text: &str) -> std::result::Result<u32, String> {
    let mut flags = 0;
    for flag in text.split(',') {
        flags |= match flag {
            "flag-1" | "sh-fallback" => service_flag::SCHED1,
            "flag-2" | "sh-port" => service_flag::SCHED2,
            "flag-3" => service_flag::SCHED3,
            other => {
                return Err(format!(
                    "unknown scheduler flag '{other}' (expected flag-1, flag-2, flag-3, sh-fallback, sh-port)"
                ));
            }
        };
    }
    Ok(flags)
}

/// Writes services and real servers in `ipvsadm -S -n` form (tests, and files for `ipvsadm -R`
/// benchmarks built from a workload's parameters).
pub fn render(commands: &[Command]) -> String {
    let mut out = String::new();
    for command in commands {
        match command {
            Command::AddService(s) => {
                out.push_str(&format!("-A {} -s {}", key_option(&s.key), s.scheduler));
                if s.flags & service_flag::PERSISTENT != 0 {
                    out.push_str(&format!(" -p {}", s.timeout_s));
                }
                if s.netmask != default_netmask(s.key.is_ipv6()) && !s.key.is_ipv6() {
                    out.push_str(&format!(" -M {}", Ipv4Addr::from(s.netmask)));
                }
                out.push('\n');
            }
            Command::AddServer(key, d) => {
                let forward = match d.forward {
                    ForwardMethod::Masquerade => "-m",
                    ForwardMethod::Tunnel => "-i",
                    _ => "-g",
                };
                out.push_str(&format!(
                    "-a {} -r {} {forward} -w {}\n",
                    key_option(key),
                    endpoint(d.address, d.port),
                    d.weight
                ));
            }
            Command::Clear => out.push_str("-C\n"),
            _ => {}
        }
    }
    out
}

fn key_option(key: &ServiceKey) -> String {
    match key {
        ServiceKey::Address {
            protocol: Protocol::Tcp,
            address,
            port,
        } => format!("-t {}", endpoint(*address, *port)),
        ServiceKey::Address {
            protocol: Protocol::Udp,
            address,
            port,
        } => format!("-u {}", endpoint(*address, *port)),
        ServiceKey::Address { address, port, .. } => {
            format!("--sctp-service {}", endpoint(*address, *port))
        }
        ServiceKey::FirewallMark { mark, ipv6 } => {
            format!("-f {mark}{}", if *ipv6 { " -6" } else { "" })
        }
    }
}

fn endpoint(address: IpAddr, port: u16) -> String {
    match address {
        IpAddr::V6(a) => format!("[{a}]:{port}"),
        IpAddr::V4(a) => format!("{a}:{port}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv6Addr;

    fn parse_text(text: &str) -> Result<Vec<SaveLine>> {
        parse(Path::new("rules.ipvs"), text)
    }

    fn v4(a: u8, b: u8, c: u8, d: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(a, b, c, d))
    }

    /// What `ipvsadm -S -n` writes (services, then their real servers).
    const SAVED: &str = "\
-A -t 10.0.0.1:80 -s rr
-a -t 10.0.0.1:80 -r 172.16.0.1:8080 -m -w 1
-a -t 10.0.0.1:80 -r 172.16.0.2:8080 -m -w 3
-A -u 10.0.0.2:53 -s wlc -p 600 -M 255.255.255.0
-a -u 10.0.0.2:53 -r 172.16.1.1:5353 -g -w 0
-A -f 7 -s sh -b sh-fallback,sh-port
-a -f 7 -r 172.16.2.1:0 -i -w 1 -x 100 -y 10
-A -t [2001:db8::1]:443 -s rr -p
";

    #[test]
    fn ipvsadm_save_output_parses() {
        let lines = parse_text(SAVED).unwrap();
        assert_eq!(lines.len(), 8);
        let tcp = ServiceKey::Address {
            protocol: Protocol::Tcp,
            address: v4(10, 0, 0, 1),
            port: 80,
        };
        assert_eq!(
            lines[0].command,
            Command::AddService(Service::new(tcp, "rr"))
        );
        let Command::AddServer(key, d) = &lines[2].command else {
            panic!("{:?}", lines[2])
        };
        assert_eq!(
            (key, d.address, d.port, d.forward, d.weight),
            (&tcp, v4(172, 16, 0, 2), 8080, ForwardMethod::Masquerade, 3)
        );
        let Command::AddService(udp) = &lines[3].command else {
            panic!()
        };
        assert_eq!(
            (udp.flags, udp.timeout_s, udp.netmask),
            (service_flag::PERSISTENT, 600, [255, 255, 255, 0])
        );
        // A real server without a port takes the service's port.
        let Command::AddServer(_, d) = &lines[4].command else {
            panic!()
        };
        assert_eq!(
            (d.port, d.weight, d.forward),
            (53, 0, ForwardMethod::DirectRoute)
        );
        let Command::AddService(mark) = &lines[5].command else {
            panic!()
        };
        assert_eq!(
            mark.key,
            ServiceKey::FirewallMark {
                ipv6: false,
                mark: 7
            }
        );
        assert_eq!(mark.flags, service_flag::SCHED1 | service_flag::SCHED2);
        let Command::AddServer(_, d) = &lines[6].command else {
            panic!()
        };
        assert_eq!(
            (d.forward, d.upper_threshold, d.lower_threshold),
            (ForwardMethod::Tunnel, 100, 10)
        );
        let Command::AddService(v6) = &lines[7].command else {
            panic!()
        };
        assert_eq!(
            v6.key,
            ServiceKey::Address {
                protocol: Protocol::Tcp,
                address: IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 1)),
                port: 443
            }
        );
        assert_eq!(
            (v6.timeout_s, v6.netmask),
            (DEFAULT_PERSISTENCE_S, 128u32.to_ne_bytes())
        );
        assert_eq!(lines[7].line, 8);
    }

    #[test]
    fn defaults_and_other_commands() {
        let lines = parse_text("# saved\n\n-A -t 1.2.3.4:80\n-E --tcp-service 1.2.3.4:80 --scheduler lc\n-d -t 1.2.3.4:80 -r 5.6.7.8\n-D -t 1.2.3.4:80\n-Z\n-C\n").unwrap();
        let Command::AddService(s) = &lines[0].command else {
            panic!()
        };
        assert_eq!(
            (s.scheduler.as_str(), lines[0].line),
            (DEFAULT_SCHEDULER, 3)
        );
        assert!(matches!(&lines[1].command, Command::EditService(s) if s.scheduler == "lc"));
        // A real server without a port takes the service's port.
        assert!(matches!(&lines[2].command, Command::DeleteServer(_, d) if d.port == 80));
        assert!(matches!(lines[3].command, Command::DeleteService(_)));
        assert_eq!(lines[4].command, Command::Zero(None));
        assert_eq!(lines[5].command, Command::Clear);
    }

    #[test]
    fn errors_name_file_line_and_expectation() {
        let cases = [
            (
                "-A -t 10.0.0.1:80\n-A -t web.example:http -s rr\n",
                2,
                "numeric ADDRESS:PORT",
            ),
            ("-A -t 10.0.0.1 -s rr\n", 1, "no port"),
            ("-a -t 10.0.0.1:80 -m\n", 1, "needs a real server"),
            ("-A -s rr\n", 1, "needs a service"),
            ("-X -t 10.0.0.1:80\n", 1, "expected an ipvsadm command"),
            ("-A -t 10.0.0.1:80 -s\n", 1, "needs a scheduler name"),
            (
                "-a -t 10.0.0.1:80 -r 1.1.1.1 -w heavy\n",
                1,
                "weight must be",
            ),
            ("-A -t 10.0.0.1:80 --frobnicate\n", 1, "unsupported option"),
            ("-A -u 10.0.0.1:99999\n", 1, "not a number 0-65535"),
            ("-A -t 10.0.0.1:80 -M 255.0.255.0\n", 1, "not contiguous"),
        ];
        for (text, line, expected) in cases {
            let error = parse_text(text).unwrap_err();
            assert_eq!(error.exit_code(), crate::error::exit_code::BAD_INPUT);
            let message = error.to_string();
            assert!(
                message.starts_with(&format!("rules.ipvs:{line}: ")),
                "{message}"
            );
            assert!(message.contains(expected), "{message}");
        }
    }

    #[test]
    fn sniffing_tells_ipvsadm_from_ipset() {
        assert!(looks_like_ipvsadm_save(SAVED));
        assert!(looks_like_ipvsadm_save("# comment\n-C\n-A -t 1.1.1.1:80\n"));
        assert!(looks_like_ipvsadm_save(
            "--add-service --udp-service 1.1.1.1:53\n"
        ));
        assert!(!looks_like_ipvsadm_save(
            "create foo hash:ip\nadd foo 1.2.3.4\n"
        ));
        assert!(!looks_like_ipvsadm_save("-N foo hash:ip\n-A foo 1.2.3.4\n"));
        assert!(!looks_like_ipvsadm_save(""));
    }

    #[test]
    fn rendered_tables_parse_back() {
        let table = crate::ipvs::table::generate(3, 2, "mixed", "rr");
        let mut commands: Vec<Command> = table
            .iter()
            .map(|e| Command::AddService(e.service.clone()))
            .collect();
        for e in &table {
            commands.extend(
                e.destinations
                    .iter()
                    .map(|d| Command::AddServer(e.service.key, d.clone())),
            );
        }
        let text = render(&commands);
        let parsed: Vec<Command> = parse_text(&text)
            .unwrap()
            .into_iter()
            .map(|l| l.command)
            .collect();
        assert_eq!(parsed, commands);
    }
}
