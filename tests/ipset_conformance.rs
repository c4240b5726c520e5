//! Conformance of `kcanary replay` with `ipset restore` 7.17 on ipset's own material.
//!
//! Material (ipset 7.17's Debian source, unpacked by `ci/fetch-ipset-tests.sh`):
//! - `fixture`: the restore files in `tests/` (`*.restore*`, `restore.t.*`, `iphash.t.large`);
//! - `script`: every `ipset` command of the `tests/*.t` scripts, as a restore file holding the
//!   script's earlier commands that were expected to succeed (tests left out) and then it;
//! - `manpage`: each example block of `src/ipset.8`;
//! - `case`: the examples of issue 11 and the session rules (`-exist` scope, runs, warnings,
//!   COMMIT), written here;
//! - `save`: the `ipset save` output of what `ipset restore` left of each of the above.
//!
//! Each file goes through `ipset restore` and `kcanary replay` (per command and `--batch`), each
//! in a fresh network namespace; a file is decided alike when all three accept it, or all
//! reject it at the same line. The test prints N of M per source and every disagreement, and
//! fails on any disagreement not listed in `KNOWN_DIFFERENCES` (each explained in README.md).
//!
//! Set KCANARY_IPSET_SOURCE to the unpacked source (ci/test.sh does); unset, the test prints
//! that it did not run. Needs root (network namespaces) and /usr/sbin/ipset 7.17.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Files kcanary decides differently on purpose, by material name, with the reason (README.md
/// "Deliberate differences from ipset restore" says more).
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Files written from issue 11's examples and ipset's session rules.
const CASES: &[(&str, &str)] = &[
    (
        "icmp-names",
        "create test hash:net,port timeout 10\nadd test 2.0.0.0/24,icmp:echo-request timeout 3\nadd test 2.0.0.1,icmp:3/1\nadd test 2.0.0.2,vrrp:0\nadd test 2.1.0.3,smtp\nadd test 2.1.0.4,udp:domain\n",
    ),
    (
        "icmpv6-names",
        "create test hash:ip,port family inet6\nadd test 2001:db8::1,ipv6-icmp:echo-request\nadd test 2001:db8::2,icmpv6:port-unreachable\n",
    ),
    (
        "icmp-in-inet6",
        "create test hash:ip,port family inet6\nadd test 2001:db8::1,icmp:echo-request\n",
    ),
    (
        "vrrp-nonzero",
        "create test hash:ip,port\nadd test 1.1.1.1,vrrp:1\n",
    ),
    (
        "bad-service",
        "create test hash:ip,port\nadd test 1.1.1.1,tcp:nosuchservice\n",
    ),
    (
        "bitmask",
        "create test hash:ip hashsize 128 bitmask 255.255.255.0 timeout 4\nadd test 10.0.0.1\n",
    ),
    (
        "skbinfo",
        "create foo hash:ip skbinfo\nadd foo 192.168.0.1 skbmark 0x1111/0xff00ffff skbprio 1:10 skbqueue 10\nadd foo 192.168.0.2 skbmark 0x10\n",
    ),
    (
        "bad-skbmark",
        "create foo hash:ip skbinfo\nadd foo 192.168.0.1 skbmark 17\n",
    ),
    (
        "ipmac-no-mac",
        "create test bitmap:ip,mac range 2.0.0.0/16 timeout 10\nadd test 2.0.0.1 timeout 4\nadd test 2.0.0.2,00:11:22:33:44:55\n",
    ),
    (
        "short-ipv4",
        "create foo hash:net\nadd foo 192.168.0/24\nadd foo 10/8\ncreate bar hash:net,iface\nadd bar 0/0,eth0\n",
    ),
    (
        "ipv4-in-inet6",
        "create foo hash:ip family inet6\nadd foo 1.2.3.4\n",
    ),
    (
        "legacy",
        "-N test iphash --hashsize 128\n-A test 10.0.0.1\n-D test 10.0.0.1\n-N other iphash\n-W test other\n-E other renamed\n-F test\n-X test\nn third nethash\n-A third 10.0.0.0/8\n",
    ),
    (
        "legacy-ignored-option",
        "-N test iphash --hashsize 128 --probes 2\n-A test 10.0.0.1\n-A test 10.0.0.1\n",
    ),
    (
        "ignored-network",
        "create test hash:ip network 10.0.0.0/8\nadd test 1.2.3.4\nadd test 1.2.3.4\n",
    ),
    (
        "bitmap-from-to",
        "-N test ipmap --from 10.0.0.0 --to 10.0.0.255\n-A test 10.0.0.7\n-N ports portmap --from 1 --to 1024\n-A ports 80\n",
    ),
    ("family-6", "create test hash:ip -6\nadd test ::1\n"),
    (
        "exist-sticks",
        "create A hash:ip\nadd A 1.1.1.1\ncreate B hash:ip -exist\ncreate A hash:ip\nadd A 1.1.1.1\n",
    ),
    (
        "exist-not-per-line-in-run",
        "create A hash:ip\nadd A 1.1.1.1\nadd A 1.1.1.1 -exist\n",
    ),
    (
        "exist-from-first-line-of-run",
        "create A hash:ip\nadd A 1.1.1.1\ncreate B hash:ip\nadd A 1.1.1.2 -exist\nadd A 1.1.1.1\n",
    ),
    (
        "middle-of-run",
        "create A hash:ip\nadd A 1.1.1.1\n# a comment\n\nadd A 1.1.1.2\nadd A 1.1.1.1\nadd A 1.1.1.3\n",
    ),
    (
        "parse-error-discards-run",
        "create A hash:ip\nadd A 1.1.1.1\nadd A 1.1.1.1\nadd A 1.1.1.300\n",
    ),
    (
        "kernel-error-before-parse-error",
        "create A hash:ip\nadd A 1.1.1.1\nadd A 1.1.1.1\ncreate B hash:ip\nadd B 1.1.1.300\n",
    ),
    (
        "unknown-type-after-error",
        "create A hash:ip\ncreate A hash:ip\ncreate B hash:nosuch\n",
    ),
    (
        "commit-whole-line",
        "create A hash:ip\nCOMMIT\nadd A 1.1.1.1\nCOMMIT \n",
    ),
    (
        "commit-at-eof-without-newline",
        "create A hash:ip\nadd A 1.1.1.1\nCOMMIT",
    ),
    (
        "commit-splits-run",
        "create A hash:ip\nadd A 1.1.1.1\nCOMMIT\nadd A 1.1.1.1 -exist\n",
    ),
    ("crlf", "create A hash:ip\r\nadd A 1.1.1.1\r\nCOMMIT\r\n"),
    (
        "test-in-set",
        "create A hash:ip\nadd A 1.1.1.1\ntest A 1.1.1.1\nadd A 1.1.1.1\n",
    ),
    ("test-not-in-set", "create A hash:ip\ntest A 1.1.1.1\n"),
    (
        "prefix-commands",
        "cr A hash:ip\na A 1.1.1.1\nd A 1.1.1.1\nren A B\nsw B B\nf B\ndes B\n",
    ),
    ("invalid-in-restore", "create A hash:ip\nversion\n"),
    (
        "list-and-quit",
        "create A hash:ip\nlist A\nquit\nadd A 1.1.1.1\nadd A 1.1.1.1\n",
    ),
    ("missing-set", "add nosuch 1.1.1.1\n"),
    ("destroy-missing", "destroy nosuch\n"),
    (
        "setlist-old-syntax",
        "create a hash:ip\ncreate b hash:ip\ncreate l list:set\nadd l a\nadd l b,before,a\ndel l b,before,a\n",
    ),
];

/// One restore file of the material.
struct Sample {
    /// "script:hash:ip.t:42" (source:file:line of the command the file ends with).
    name: String,
    source: &'static str,
    text: String,
}

/// What a tool did with a file: `None` accepted, `Some(line)` rejected at that line (0 when the
/// tool named no line).
type Decision = Option<usize>;

#[derive(Debug)]
struct Outcome {
    ipset: Decision,
    per_command: Decision,
    batch: Decision,
    ipset_message: String,
    kcanary_message: String,
}

impl Outcome {
    /// Same decision, and the same line when ipset named one (it names none when a `test`
    /// finds the element missing: "... is NOT in set").
    fn agrees(&self) -> bool {
        let same = |kcanary: Decision| match (self.ipset, kcanary) {
            (Some(0), Some(_)) => true,
            (ipset, kcanary) => ipset == kcanary,
        };
        same(self.per_command) && same(self.batch)
    }
}

#[test]
fn replay_decides_ipset_material_as_ipset_restore_does() {
    let Some(source) = std::env::var_os("KCANARY_IPSET_SOURCE").map(PathBuf::from) else {
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "NOTICE: ipset conformance test NOT RUN: set KCANARY_IPSET_SOURCE to the directory ci/fetch-ipset-tests.sh filled"
        );
        return;
    };
    assert!(
        nix::unistd::Uid::effective().is_root(),
        "the conformance test needs root (network namespaces)"
    );
    let version = Command::new("ipset").arg("version").output().unwrap();
    let version = String::from_utf8_lossy(&version.stdout).into_owned();
    assert!(
        version.contains("v7.17"),
        "the material and this test are for ipset 7.17; found: {version}"
    );
    let work = tempfile::tempdir().unwrap();
    let mut samples = fixtures(&source.join("tests"));
    samples.extend(scripts(&source.join("tests")));
    samples.extend(manpage(&source.join("src/ipset.8")));
    samples.extend(CASES.iter().map(|(name, text)| Sample {
        name: format!("case:{name}"),
        source: "case",
        text: text.to_string(),
    }));
    let first = run_all(work.path(), &samples, true);
    let saves = saved_states(&samples, &first.1);
    let second = run_all(work.path(), &saves, false);
    samples.extend(saves);
    let outcomes: Vec<Outcome> = first.0.into_iter().chain(second.0).collect();
    report_and_check(&samples, &outcomes);
}

/// The restore files among ipset's test fixtures.
fn fixtures(tests: &Path) -> Vec<Sample> {
    let mut names: Vec<String> = std::fs::read_dir(tests)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".restore") || n.starts_with("restore.t.") || n == "iphash.t.large")
        .filter(|n| !n.starts_with("restore.t.list"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| Sample {
            text: std::fs::read_to_string(tests.join(&name)).unwrap(),
            name: format!("fixture:{name}"),
            source: "fixture",
        })
        .collect()
}

/// Command words that do not change sets or that restore refuses; such lines are left out.
fn is_query_or_invalid(command: &str) -> bool {
    let command = command.trim_start_matches("--");
    [
        "list", "-L", "save", "-S", "restore", "-R", "help", "-h", "-H", "version", "-v", "-V",
    ]
    .iter()
    .any(|name| !command.is_empty() && name.starts_with(command) && command != "-")
}

fn is_test(command: &str) -> bool {
    let command = command.trim_start_matches("--");
    command == "-T" || (!command.is_empty() && "test".starts_with(command))
}

/// Every plain `ipset` command of the `.t` scripts (no shell pipes or redirections), each as a
/// restore file: the script's earlier commands expected to succeed, tests left out, then it.
fn scripts(tests: &Path) -> Vec<Sample> {
    let mut names: Vec<PathBuf> = std::fs::read_dir(tests)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "t"))
        .collect();
    names.sort();
    let mut out = Vec::new();
    for path in names {
        let file = path.file_name().unwrap().to_string_lossy().into_owned();
        let mut prefix = String::new();
        for (index, line) in std::fs::read_to_string(&path).unwrap().lines().enumerate() {
            let Some((expected, command)) = line.split_once(" ipset ") else {
                continue;
            };
            if expected.parse::<u32>().is_err()
                || command.contains(['|', '<', '>', ';', '&', '`', '$', '\\'])
            {
                continue;
            }
            let words: Vec<&str> = command.split_whitespace().collect();
            let Some(verb) = words
                .iter()
                .find(|w| !matches!(**w, "-!" | "-exist" | "-q"))
            else {
                continue;
            };
            if is_query_or_invalid(verb) {
                continue;
            }
            out.push(Sample {
                name: format!("script:{file}:{}", index + 1),
                source: "script",
                text: format!("{prefix}{command}\n"),
            });
            if expected == "0" && !is_test(verb) {
                prefix.push_str(command);
                prefix.push('\n');
            }
        }
    }
    out
}

/// The man page's examples: runs of `ipset ...` lines separated only by `.IP`.
fn manpage(page: &Path) -> Vec<Sample> {
    let mut out = Vec::new();
    let mut block = String::new();
    let mut block_line = 0;
    let text = std::fs::read_to_string(page).unwrap();
    for (index, line) in text.lines().enumerate() {
        // Example lines are plain text; the synopsis uses font escapes (\fB).
        if let Some(command) = line.strip_prefix("ipset ").filter(|c| !c.contains("\\(")) {
            if block.is_empty() {
                block_line = index + 1;
            }
            block.push_str(&command.replace("\\-", "-").replace("\\\\", "\\"));
            block.push('\n');
        } else if line.trim() != ".IP" && !block.is_empty() {
            out.push(Sample {
                name: format!("manpage:ipset.8:{block_line}"),
                source: "manpage",
                text: std::mem::take(&mut block),
            });
        }
    }
    out
}

/// One `ipset save` per distinct state the first round left, as a sample.
fn saved_states(samples: &[Sample], saves: &[String]) -> Vec<Sample> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (sample, save) in samples.iter().zip(saves) {
        if save.trim().is_empty() || !seen.insert(save.clone()) {
            continue;
        }
        out.push(Sample {
            name: format!("save:{}", sample.name),
            source: "save",
            text: save.clone(),
        });
    }
    out
}

/// Runs every sample through the three replays on two threads; with `save`, also returns what
/// `ipset save` printed after `ipset restore` (in the same namespace).
fn run_all(work: &Path, samples: &[Sample], save: bool) -> (Vec<Outcome>, Vec<String>) {
    let next = AtomicUsize::new(0);
    let results: Mutex<BTreeMap<usize, (Outcome, String)>> = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(sample) = samples.get(index) else {
                        break;
                    };
                    let file = work.join(format!("sample-{}-{index}.restore", save as u8));
                    std::fs::write(&file, &sample.text).unwrap();
                    let result = run_one(&file, save);
                    std::fs::remove_file(&file).unwrap();
                    results.lock().unwrap().insert(index, result);
                }
            });
        }
    });
    results.into_inner().unwrap().into_values().unzip()
}

fn run_one(file: &Path, save: bool) -> (Outcome, String) {
    let script = format!(
        // Standard input, not -f: with -f, a `list` line in the file writes its listing over
        // the file itself.
        "ipset restore < '{}'; rc=$?; {}exit $rc",
        file.display(),
        if save { "ipset save >&3; " } else { "" }
    );
    let ipset = Command::new("unshare")
        .args([
            "-n",
            "sh",
            "-c",
            &format!("{{ {script}; }} 3>&1 1>/dev/null"),
        ])
        .output()
        .unwrap();
    let ipset_message = String::from_utf8_lossy(&ipset.stderr).into_owned();
    let ipset_decision = if ipset.status.success() {
        None
    } else {
        Some(line_after(&ipset_message, "Error in line ").unwrap_or(0))
    };
    let kcanary = |batch: bool| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_kcanary"));
        command.arg("replay").arg(file);
        if batch {
            command.arg("--batch");
        }
        let output = command.output().unwrap();
        let message = String::from_utf8_lossy(&output.stderr).into_owned();
        let decision = match output.status.code() {
            Some(0) => None,
            _ => Some(line_after(&message, &format!("error: {}:", file.display())).unwrap_or(0)),
        };
        (decision, message)
    };
    let (per_command, kcanary_message) = kcanary(false);
    let (batch, _) = kcanary(true);
    let saved = String::from_utf8_lossy(&ipset.stdout).into_owned();
    let outcome = Outcome {
        ipset: ipset_decision,
        per_command,
        batch,
        ipset_message: ipset_message.trim().to_string(),
        kcanary_message: kcanary_message
            .lines()
            .filter(|l| l.contains("error"))
            .collect::<Vec<_>>()
            .join(" / "),
    };
    (outcome, saved)
}

/// The number right after `marker` in `text`.
fn line_after(text: &str, marker: &str) -> Option<usize> {
    let rest = &text[text.find(marker)? + marker.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

fn report_and_check(samples: &[Sample], outcomes: &[Outcome]) {
    let mut per_source: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let known: HashSet<&str> = KNOWN_DIFFERENCES.iter().map(|(name, _)| *name).collect();
    let mut unexplained = Vec::new();
    for (sample, outcome) in samples.iter().zip(outcomes) {
        let entry = per_source.entry(sample.source).or_default();
        entry.1 += 1;
        if outcome.agrees() {
            entry.0 += 1;
            continue;
        }
        let decision = |d: Decision| match d {
            None => "accept".to_string(),
            Some(line) => format!("reject@{line}"),
        };
        eprintln!(
            "DIFFERENT {}: ipset {} [{}], kcanary {} / --batch {} [{}]",
            sample.name,
            decision(outcome.ipset),
            outcome.ipset_message.replace('\n', " / "),
            decision(outcome.per_command),
            decision(outcome.batch),
            outcome.kcanary_message
        );
        if !known.contains(sample.name.as_str()) {
            unexplained.push(sample.name.clone());
        }
    }
    let (same, all) = per_source
        .values()
        .fold((0, 0), |(s, a), (ps, pa)| (s + ps, a + pa));
    for (source, (s, a)) in &per_source {
        eprintln!("conformance {source}: {s} of {a} files decided as ipset restore decides");
    }
    eprintln!("conformance total: {same} of {all} files decided as ipset restore decides");
    let lineless = outcomes.iter().filter(|o| o.ipset == Some(0)).count();
    eprintln!(
        "conformance: {lineless} of them rejected by ipset without a line number (a test that \
         found no element, an unknown argument): compared by decision only"
    );
    assert!(
        unexplained.is_empty(),
        "{} files decided unlike ipset restore and not explained, first ones: {:?}",
        unexplained.len(),
        &unexplained[..unexplained.len().min(10)]
    );
}
