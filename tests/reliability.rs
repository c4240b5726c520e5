//! Issue 12: bad input is refused early and clearly (exit 2, FILE:LINE where there is one),
//! and a failure loses no results and leaves no files behind. Runs the real binary against
//! the real kernel (root in CI).

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn kcanary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_kcanary"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Runs `command` with `input` on stdin; kills it and fails the test if it is still running
/// after `limit` (a hang is the bug some of these tests look for).
fn run_within(mut command: Command, input: &[u8], limit: Duration) -> Output {
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kcanary starts");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    // The child may stop reading early (an error): a broken pipe here is fine.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let output = common::output_within(child, limit);
    writer.join().unwrap();
    output
}

const LIMIT: Duration = Duration::from_secs(60);
const SMALL_RESTORE: &str = "create a hash:ip\nadd a 10.0.0.1\nadd a 10.0.0.2\n";

// Item 1: the replay input is read once.

#[test]
fn replay_from_a_pipe_parses_what_it_read() {
    // /dev/stdin is a pipe here: a second open would read nothing and replay nothing.
    let mut command = kcanary();
    command.args(["replay", "/dev/stdin"]);
    let o = run_within(command, b"frobnicate\n", LIMIT);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/dev/stdin:1: unknown command 'frobnicate'"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn replay_from_stdin_dash_replays_the_commands() {
    let mut command = kcanary();
    command.args(["replay", "-"]);
    let o = run_within(command, SMALL_RESTORE.as_bytes(), LIMIT);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("add_ns"), "{}", stdout(&o));
}

#[test]
fn replay_from_a_fifo_does_not_hang() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("restore.fifo");
    nix::unistd::mkfifo(&fifo, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    let writer_path = fifo.clone();
    // Opening a FIFO for writing blocks until the reader opens it; write once, then close.
    let writer = std::thread::spawn(move || {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(&writer_path)
            .unwrap();
        f.write_all(SMALL_RESTORE.as_bytes()).unwrap();
    });
    let mut command = kcanary();
    command.args(["replay", fifo.to_str().unwrap()]);
    let o = run_within(command, b"", LIMIT);
    writer.join().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("add_ns"), "{}", stdout(&o));
}

#[test]
fn replay_accepts_a_utf8_byte_order_mark() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bom.restore");
    let mut text = "\u{feff}".to_string();
    text.push_str(SMALL_RESTORE);
    std::fs::write(&file, text).unwrap();
    let mut command = kcanary();
    command.args(["replay", file.to_str().unwrap()]);
    let o = run_within(command, b"", LIMIT);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

// Item 5: the replay input is bounded.

#[test]
fn replay_of_an_endless_input_fails_fast() {
    let mut command = kcanary();
    command.args(["replay", "/dev/zero"]);
    let o = run_within(command, b"", Duration::from_secs(10));
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("/dev/zero:1: line longer than"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn replay_of_an_empty_input_is_bad_input() {
    let mut command = kcanary();
    command.args(["replay", "-"]);
    let o = run_within(command, b"# nothing\n", LIMIT);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("-: no ipset commands in the file"),
        "{}",
        stderr(&o)
    );
}

// Item 2: an unwritable --out is refused before measuring.

fn run_with_out(out: &str) -> Output {
    let mut command = kcanary();
    command.args(["run", "ipset-create", "--repetitions", "1", "--out", out]);
    run_within(command, b"", Duration::from_secs(300))
}

#[test]
fn run_refuses_an_out_under_a_file_before_measuring() {
    // As root a chmod'ed directory is still writable: a regular file used as a directory is not.
    let o = run_with_out("/etc/hostname/x.json");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write results to /etc/hostname/x.json"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("warm-up"), "measured: {}", stderr(&o));
}

#[test]
fn run_refuses_an_out_in_a_missing_uncreatable_directory_before_measuring() {
    let o = run_with_out("/proc/kcanary-missing/x.json");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("cannot write results to /proc/kcanary-missing/x.json"),
        "{}",
        stderr(&o)
    );
    assert!(!stderr(&o).contains("warm-up"), "measured: {}", stderr(&o));
}

// Item 6: counts are range-checked before anything is allocated.

fn quick(args: &[&str]) -> Output {
    let mut command = kcanary();
    command.args(args);
    run_within(command, b"", Duration::from_secs(120))
}

#[test]
fn a_huge_element_count_is_bad_input_naming_the_range() {
    let o = quick(&["run", "ipset-create", "--set", "entries=99999999999"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(
            "--set entries=99999999999: parameter 'entries' must be between 0 and 16777216"
        ),
        "{}",
        stderr(&o)
    );
}

#[test]
fn generate_refuses_more_sets_than_the_kernel_holds() {
    let o = quick(&["generate", "kube-router-sync", "--sets", "99999999999999"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--sets must be between 1 and 32736, found 99999999999999"),
        "{}",
        stderr(&o)
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn repetitions_have_an_upper_bound() {
    let o = quick(&["run", "ipset-create", "--repetitions", "10001"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--repetitions must be between 1 and 10000, found 10001"),
        "{}",
        stderr(&o)
    );
}

// Item 8: bad parameter values are bad input with FILE:LINE, before any kernel work.

fn scenario_error(workload: &str, param_line: &str) -> (Output, String) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        format!("name = \"x\"\nworkload = \"{workload}\"\n[params]\n{param_line}\n"),
    )
    .unwrap();
    let o = quick(&["run", file.to_str().unwrap()]);
    (o, file.display().to_string())
}

#[test]
fn an_unknown_set_type_names_the_scenario_line() {
    let (o, file) = scenario_error("ipset.create", "set_type = \"hash:nope\"");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{file}:4: parameter 'set_type': unknown set type 'hash:nope'"
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn zero_swaps_names_the_scenario_line() {
    let (o, file) = scenario_error("ipset.swap_storm", "swaps = 0");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!(
            "{file}:4: parameter 'swaps' must be between 1 and"
        )),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_unknown_set_type_in_set_names_the_argument() {
    let o = quick(&["run", "ipset-create", "--set", "set_type=hash:nope"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--set set_type=hash:nope: parameter 'set_type': unknown set type"),
        "{}",
        stderr(&o)
    );
}

// Item 4: a failed write leaves no temporary file behind.

#[test]
fn a_full_disk_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("small.restore");
    std::fs::write(&input, SMALL_RESTORE).unwrap();
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    // A 64 KiB tmpfs, filled, in a private mount namespace of its own (gone when the shell
    // exits; nothing reaches the host): the results write fails with ENOSPC.
    let script = format!(
        "mount -t tmpfs -o size=64k kcanary-full {full} || exit 100\n\
         dd if=/dev/zero of={full}/filler bs=4k 2>/dev/null\n\
         {bin} replay {input} --out {full}/results.json\n\
         echo \"exit=$?\"\n\
         ls -a {full}\n",
        full = full.display(),
        bin = env!("CARGO_BIN_EXE_kcanary"),
        input = input.display(),
    );
    let mut command = Command::new("unshare");
    command.args(["--mount", "--propagation", "private", "sh", "-c", &script]);
    let o = run_within(command, b"", LIMIT);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.contains("exit=3"), "{out}\n{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("cannot write {}/results.json", full.display())),
        "{}",
        stderr(&o)
    );
    assert!(!out.contains(".tmp-"), "temporary file left: {out}");
    // The numbers were printed before the write failed.
    assert!(out.contains("add_ns"), "{out}");
}

#[test]
fn a_signal_during_the_results_write_leaves_no_temporary_file() {
    use nix::sys::signal::{Signal, kill};
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    // A million swaps make a 16 MB results file: its write lasts long enough to stop the
    // process with the temporary file in place. A try that misses it is repeated.
    for _ in 0..3 {
        let _ = std::fs::remove_file(&out);
        let mut child = kcanary()
            .args(["run", "ipset-swap-storm-0", "--repetitions", "1"])
            .args(["--set", "swaps=1000000", "--out"])
            .arg(&out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        let tmp = dir.path().join(format!(".r.json.tmp-{}", child.id()));
        let deadline = Instant::now() + Duration::from_secs(300);
        while !tmp.exists() && child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "the results write never started");
            std::thread::sleep(Duration::from_micros(200));
        }
        let _ = kill(pid, Signal::SIGSTOP);
        let caught = tmp.exists() && !out.exists();
        let _ = kill(pid, Signal::SIGTERM);
        let _ = kill(pid, Signal::SIGCONT);
        let started = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(started.elapsed() < LIMIT, "still running after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
        let o = child.wait_with_output().unwrap();
        assert!(!tmp.exists(), "temporary file left: {}", stderr(&o));
        if caught {
            assert!(!out.exists(), "a half-written results file was left");
            assert_eq!(o.status.code(), Some(128 + 15), "{}", stderr(&o));
            assert!(stderr(&o).contains("stopped by SIGTERM"), "{}", stderr(&o));
            return;
        }
    }
    panic!("three runs wrote their results before they could be stopped");
}

// Item 9: messages that say what is wrong, briefly.

#[test]
fn a_huge_word_in_a_replay_file_is_not_echoed_whole() {
    let input = format!("frob{}\n", "x".repeat(60_000));
    let o = run_within(
        {
            let mut c = kcanary();
            c.args(["replay", "-"]);
            c
        },
        input.as_bytes(),
        Duration::from_secs(60),
    );
    assert_eq!(o.status.code(), Some(2), "{:.300}", stderr(&o));
    let err = stderr(&o);
    assert!(err.len() < 400, "{} bytes of stderr: {err:.300}", err.len());
    assert!(err.contains("-:1: unknown command 'frobxxx"), "{err}");
    assert!(err.contains("…[60004 bytes]' (expected"), "{err}");
}

#[test]
fn an_integer_too_large_for_64_bits_in_set_is_out_of_range() {
    let o = quick(&[
        "run",
        "ipset-create",
        "--set",
        "entries=99999999999999999999",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("must be between 0 and 16777216, found 99999999999999999999"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_baseline_name_that_is_no_file_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("r.json");
    std::fs::write(&results, "{}").unwrap();
    for name in ["..", ".", "", "a/b"] {
        let o = quick(&[
            "baseline",
            "save",
            "--name",
            name,
            "--dir",
            dir.path().to_str().unwrap(),
            results.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(2), "{name:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("baseline name"),
            "{name:?}: {}",
            stderr(&o)
        );
    }
    assert!(!dir.path().join("unknown-cpu-0cpu").exists());
}

#[test]
fn plot_of_results_without_metrics_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let results = dir.path().join("empty.json");
    let run = kcanary::results::RunResults {
        schema_version: kcanary::results::SCHEMA_VERSION,
        environment: kcanary::results::Environment::capture(kcanary::results::ExecutionMode::Host),
        results: Vec::new(),
        skipped: vec![kcanary::results::Skipped {
            scenario: "ipvs-services".into(),
            reason: "no IPVS".into(),
        }],
    };
    std::fs::write(&results, serde_json::to_string(&run).unwrap()).unwrap();
    let out = dir.path().join("plots");
    let o = quick(&[
        "plot",
        results.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("nothing to plot") && stderr(&o).contains("ipvs-services: no IPVS"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn run_of_one_scenario_named_twice_measures_it_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.json");
    let o = quick(&[
        "run",
        "ipset-list",
        "ipset-list",
        "--repetitions",
        "1",
        "--set",
        "sets=2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let metrics = results["results"].as_array().unwrap();
    let mut keys: Vec<String> = metrics
        .iter()
        .map(|m| format!("{}/{}", m["scenario"], m["metric"]))
        .collect();
    let all = keys.len();
    keys.sort();
    keys.dedup();
    assert!(all > 0);
    assert_eq!(keys.len(), all, "duplicate entries: {metrics:?}");
}
