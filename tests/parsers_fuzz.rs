//! Property tests of every reader of user files (restore files, `ipvsadm -S`, scenario TOML,
//! results and baseline JSON, criterion output): for any input the reader answers Ok or Err,
//! without panicking, within [`DEADLINE`], allocating at most [`memory_bound`] of the input
//! size, and every error names the file (and its line, where the format has one).
//!
//! Inputs are mostly valid files from kcanary's own material, mutated the way files go wrong:
//! words replaced by numbers at and past the integer limits, truncated, duplicated, dropped,
//! grown to thousands of bytes or nesting levels; lines dropped, repeated and reordered; CRLF
//! and CR endings, a byte-order mark, stray bytes (NUL, invalid UTF-8). JSON files are also
//! mutated as values (a field deleted or given a wrong type or an extreme number), so the
//! checks behind the syntax are reached. A tenth of all cases are random bytes.
//!
//! Each input goes through the reader's public entry point, from a file on disk, as the
//! command line uses it. The run is bounded and reproducible: [`DEFAULT_CASES`] cases per
//! reader with a fixed seed, so CI time is fixed and a CI failure repeats on any machine;
//! `PROPTEST_CASES=100000 PROPTEST_RNG_SEED=$RANDOM cargo test --release --test parsers_fuzz
//! -- --nocapture` explores further. Failures are not persisted to regression files: proptest
//! shrinks a failing input and prints it (as text too), and the fix comes with a named test
//! of that input in `tests/parsers_regressions.rs`, which says more than a seed in a file.

mod common;

use kcanary::gate::baseline::BaselineFile;
use kcanary::results::{Better, MetricResult, SampleKind};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Cases per reader unless `PROPTEST_CASES` says otherwise: the whole file took 6 s idle and
/// up to 25 s under load in release with two test threads on this project's 2-core machine
/// (measured 2026-12).
const DEFAULT_CASES: u32 = 3000;
/// The seed unless `PROPTEST_RNG_SEED` says otherwise.
const DEFAULT_SEED: u64 = 0x6b63_616e_6172_7931;
/// No reader may take longer than this on inputs of a few kilobytes; real ones take
/// microseconds, so this only catches hangs and runaway loops, not slow CI machines.
const DEADLINE: Duration = Duration::from_secs(2);

/// The most a reader may allocate (at its peak) for an input of `len` bytes.
fn memory_bound(len: usize) -> usize {
    64 * len + 16 * 1024 * 1024
}

// ---------------------------------------------------------------------------------------
// Measuring one parse: on its own thread (a hang fails the case instead of the whole run),
// with that thread's allocations counted.

/// Counts, per thread, the bytes live and the peak since [`reset_peak`].
struct PeakAllocator;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn grow(bytes: usize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get() + bytes;
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

fn shrink(bytes: usize) {
    let _ = LIVE.try_with(|live| live.set(live.get().saturating_sub(bytes)));
}

unsafe impl GlobalAlloc for PeakAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        grow(layout.size());
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        shrink(layout.size());
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        grow(new_size);
        shrink(layout.size());
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: PeakAllocator = PeakAllocator;

fn reset_peak() {
    LIVE.with(|live| live.set(0));
    PEAK.with(|peak| peak.set(0));
}

/// Runs `parse` on a thread of its own and returns its answer, or fails the case when it
/// panicked, took longer than [`DEADLINE`] or allocated more than [`memory_bound`] of
/// `input_len`.
fn bounded<T: Send + 'static>(
    input_len: usize,
    parse: impl FnOnce() -> T + Send + 'static,
) -> Result<T, TestCaseError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    let started = Instant::now();
    let worker = std::thread::Builder::new()
        .name("parse".into())
        .spawn(move || {
            reset_peak();
            let answer = parse();
            let peak = PEAK.with(|peak| peak.get());
            let _ = sender.send((answer, peak));
        })
        .expect("spawn a parse thread");
    let (answer, peak) = match receiver.recv_timeout(DEADLINE) {
        Ok(done) => done,
        Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {
            // The thread is left running: a thread cannot be stopped, and the test fails.
            return Err(TestCaseError::fail(format!(
                "no answer within {DEADLINE:?} (hang?)"
            )));
        }
        Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
            let payload = worker
                .join()
                .expect_err("the parse thread ended without answering");
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            return Err(TestCaseError::fail(format!("panicked: {message}")));
        }
    };
    let _ = worker.join();
    let elapsed = started.elapsed();
    prop_assert!(elapsed <= DEADLINE, "took {elapsed:?}");
    let bound = memory_bound(input_len);
    prop_assert!(
        peak <= bound,
        "allocated {peak} bytes at the peak for {input_len} bytes of input (bound {bound})"
    );
    Ok(answer)
}

/// Writes `bytes` to `path` and reads it back with `read` under [`bounded`]: the reader's
/// error message, or `None` when it accepted the file.
fn read_file_bounded<E: std::fmt::Display + 'static, T: 'static>(
    path: &Path,
    bytes: &[u8],
    read: fn(&Path) -> Result<T, E>,
) -> Result<Option<String>, TestCaseError> {
    std::fs::write(path, bytes).expect("write the scratch file");
    let owned = path.to_path_buf();
    bounded(bytes.len(), move || {
        read(&owned).err().map(|e| e.to_string())
    })
    .map_err(with_input(bytes))
}

/// Runs the cases of `strategy` through `check` (which says whether the reader accepted the
/// input) with the fixed seed and without persistence, and prints how many ran.
fn fuzz<S: Strategy>(
    reader: &str,
    strategy: S,
    check: impl Fn(S::Value) -> Result<bool, TestCaseError>,
) where
    S::Value: std::fmt::Debug,
{
    let mut config = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        config.cases = DEFAULT_CASES;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        config.rng_seed = RngSeed::Fixed(DEFAULT_SEED);
    }
    config.failure_persistence = None;
    config.max_shrink_time = 60_000;
    let cases = config.cases;
    let executions = AtomicUsize::new(0);
    let accepted = AtomicUsize::new(0);
    let started = Instant::now();
    let result = TestRunner::new(config).run(&strategy, |input| {
        executions.fetch_add(1, Ordering::Relaxed);
        if check(input)? {
            accepted.fetch_add(1, Ordering::Relaxed);
        }
        Ok(())
    });
    // Executions include shrinking steps after a failure; `accepted` shows how deep the
    // mutations reach (all rejected would mean only the first checks are exercised).
    println!(
        "parsers_fuzz: {reader}: {} executions ({cases} cases), {} accepted, in {:.1} s",
        executions.load(Ordering::Relaxed),
        accepted.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    if let Err(failure) = result {
        panic!("{reader}: {failure}");
    }
    // Today 4-15% of cases are accepted; none would mean every case stops at the first check
    // (a size or encoding gate) and the parser behind it goes unexercised.
    assert!(
        accepted.load(Ordering::Relaxed) * 100 >= cases as usize,
        "{reader}: under 1% of {cases} cases accepted"
    );
}

// ---------------------------------------------------------------------------------------
// Mutations of text.

/// Words that break parsers, whatever the format.
const NASTY_WORDS: &[&str] = &[
    "",
    "0",
    "-0",
    "-1",
    "1",
    "255",
    "256",
    "65535",
    "65536",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "340282366920938463463374607431768211456",
    "0x",
    "0xffffffff",
    "0x100000000",
    "0xffffffffffffffffffff",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "0.0.0.0",
    "255.255.255.255",
    "1.2.3.4/33",
    "1.2.3.4/-1",
    "1.2.3.4-",
    "-1.2.3.4",
    "::",
    "[::1]",
    "[::1]:65536",
    "[",
    "]",
    "[]",
    "{",
    "}",
    "{}",
    ":",
    "::::",
    "-",
    "--",
    "/",
    ",",
    ",,",
    "=",
    "\"",
    "\"\"",
    "\"\"\"",
    "'''",
    "\\",
    "\\u0000",
    "#",
    "\0",
    "\u{feff}",
    "\u{7f}",
    "é",
    "🦀",
    "\u{202e}",
    "\u{ffff}",
    "\t",
    "\r",
    "\u{b}",
    "\u{85}",
    "\u{2028}",
    "tcp:",
    "udp:0-65535",
    "icmp:ping",
    "00:11:22:33:44:55:66",
    "hash:",
    "list:set",
    "true",
    "1979-05-27T07:32:00Z",
    "a.b.c",
    "null",
];

/// Characters a long word is made of: plain, nesting, quoting, separators, multi-byte.
const LONG_CHARS: &[char] = &[
    'a', '9', '[', '{', '"', '\\', ',', '.', ':', '-', 'é', '🦀', ' ',
];

#[derive(Debug, Clone)]
enum WordEdit {
    /// By a nasty word or a word of the format.
    Replace(Index),
    /// Cut at a character.
    Truncate(Index),
    Duplicate,
    Delete,
    /// Replaced by `len` copies of a character.
    Long(usize, Index),
    /// Replaced by a number of any size or sign.
    Number(i128),
}

#[derive(Debug, Clone)]
enum LineEdit {
    Word(Index, WordEdit),
    Drop,
    Repeat(u8),
    SwapWith(Index),
    /// A line of the format's material, inserted before this one.
    Insert(Index),
}

/// A text input: a seed document or lines picked from the material, edited, then encoded
/// with a line ending, maybe a byte-order mark, and stray bytes.
#[derive(Debug, Clone)]
struct TextMutation {
    base: Base,
    edits: Vec<(Index, LineEdit)>,
    ending: Index,
    bom: bool,
    bytes: Vec<(Index, u8)>,
}

#[derive(Debug, Clone)]
enum Base {
    Seed(Index),
    Lines(Vec<Index>),
}

/// Valid documents of one format and the words its grammar knows.
struct Material {
    seeds: Vec<String>,
    lines: Vec<String>,
    words: Vec<String>,
}

impl Material {
    fn new(seeds: Vec<String>, grammar_words: &[&str]) -> Material {
        let lines: Vec<String> = seeds
            .iter()
            .flat_map(|s| s.lines().map(str::to_string))
            .collect();
        let words = NASTY_WORDS
            .iter()
            .chain(grammar_words)
            .map(|w| w.to_string())
            .chain(
                lines
                    .iter()
                    .flat_map(|l| l.split_whitespace().map(str::to_string).collect::<Vec<_>>()),
            )
            .collect();
        Material {
            seeds,
            lines,
            words,
        }
    }

    fn render(&self, m: &TextMutation) -> Vec<u8> {
        let mut lines: Vec<String> = match &m.base {
            Base::Seed(i) => self.seeds[i.index(self.seeds.len())]
                .lines()
                .map(str::to_string)
                .collect(),
            Base::Lines(picks) => picks
                .iter()
                .map(|i| self.lines[i.index(self.lines.len())].clone())
                .collect(),
        };
        for (at, edit) in &m.edits {
            if lines.is_empty() {
                break;
            }
            let at = at.index(lines.len());
            match edit {
                LineEdit::Word(which, edit) => lines[at] = self.edit_line(&lines[at], which, edit),
                LineEdit::Drop => {
                    lines.remove(at);
                }
                LineEdit::Repeat(times) => {
                    let line = lines[at].clone();
                    for _ in 0..*times {
                        lines.insert(at, line.clone());
                    }
                }
                LineEdit::SwapWith(other) => {
                    let other = other.index(lines.len());
                    lines.swap(at, other);
                }
                LineEdit::Insert(which) => {
                    let line = self.lines[which.index(self.lines.len())].clone();
                    lines.insert(at, line);
                }
            }
        }
        let ending = ["\n", "\n", "\n", "\r\n", "\r", ""][m.ending.index(6)];
        let mut text = if m.bom {
            "\u{feff}".to_string()
        } else {
            String::new()
        };
        for line in &lines {
            text.push_str(line);
            text.push_str(if ending.is_empty() { "\n" } else { ending });
        }
        if ending.is_empty() {
            text.pop();
        }
        let mut bytes = text.into_bytes();
        for (at, byte) in &m.bytes {
            let at = at.index(bytes.len() + 1);
            bytes.insert(at, *byte);
        }
        bytes
    }

    fn edit_line(&self, line: &str, which: &Index, edit: &WordEdit) -> String {
        let mut words: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        if words.is_empty() {
            words.push(String::new());
        }
        let at = which.index(words.len());
        match edit {
            WordEdit::Replace(word) => words[at] = self.words[word.index(self.words.len())].clone(),
            WordEdit::Truncate(cut) => {
                let chars: Vec<char> = words[at].chars().collect();
                words[at] = chars[..cut.index(chars.len() + 1)].iter().collect();
            }
            WordEdit::Duplicate => words.insert(at, words[at].clone()),
            WordEdit::Delete => {
                words.remove(at);
            }
            WordEdit::Long(len, c) => {
                words[at] = LONG_CHARS[c.index(LONG_CHARS.len())]
                    .to_string()
                    .repeat(*len)
            }
            WordEdit::Number(n) => words[at] = n.to_string(),
        }
        words.join(" ")
    }
}

fn word_edit() -> impl Strategy<Value = WordEdit> {
    prop_oneof![
        6 => any::<Index>().prop_map(WordEdit::Replace),
        2 => any::<Index>().prop_map(WordEdit::Truncate),
        1 => Just(WordEdit::Duplicate),
        2 => Just(WordEdit::Delete),
        1 => (1usize..6000, any::<Index>()).prop_map(|(len, c)| WordEdit::Long(len, c)),
        2 => any::<i128>().prop_map(WordEdit::Number),
    ]
}

fn line_edit() -> impl Strategy<Value = LineEdit> {
    prop_oneof![
        8 => (any::<Index>(), word_edit()).prop_map(|(at, edit)| LineEdit::Word(at, edit)),
        1 => Just(LineEdit::Drop),
        1 => (1u8..4).prop_map(LineEdit::Repeat),
        1 => any::<Index>().prop_map(LineEdit::SwapWith),
        1 => any::<Index>().prop_map(LineEdit::Insert),
    ]
}

fn text_mutation() -> impl Strategy<Value = TextMutation> {
    let base = prop_oneof![
        any::<Index>().prop_map(Base::Seed),
        prop::collection::vec(any::<Index>(), 1..16).prop_map(Base::Lines),
    ];
    (
        base,
        prop::collection::vec((any::<Index>(), line_edit()), 0..5),
        any::<Index>(),
        prop::bool::weighted(0.1),
        prop::collection::vec((any::<Index>(), any::<u8>()), 0..2),
    )
        .prop_map(|(base, edits, ending, bom, bytes)| TextMutation {
            base,
            edits,
            ending,
            bom,
            bytes,
        })
}

/// A text input, or (one case in ten) random bytes.
#[derive(Debug, Clone)]
enum TextInput {
    Mutated(TextMutation),
    Random(Vec<u8>),
}

fn text_input() -> impl Strategy<Value = TextInput> {
    prop_oneof![
        9 => text_mutation().prop_map(TextInput::Mutated),
        1 => prop::collection::vec(any::<u8>(), 0..1024).prop_map(TextInput::Random),
    ]
}

impl Material {
    fn bytes(&self, input: &TextInput) -> Vec<u8> {
        match input {
            TextInput::Mutated(m) => self.render(m),
            TextInput::Random(bytes) => bytes.clone(),
        }
    }
}

// ---------------------------------------------------------------------------------------
// Mutations of JSON values.

#[derive(Debug, Clone)]
enum ValueEdit {
    Replace(Index),
    Remove,
    DuplicateElement,
    /// An array of `len` copies of a number (a long but cheap document).
    LongArray(usize, f64),
}

#[derive(Debug, Clone)]
struct ValueMutation {
    seed: Index,
    edits: Vec<(Index, ValueEdit)>,
    pretty: bool,
}

fn nasty_values() -> Vec<serde_json::Value> {
    use serde_json::json;
    vec![
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(1),
        json!(0.5),
        json!(-0.0),
        json!(1e308),
        json!(-1e308),
        json!(f64::MIN_POSITIVE),
        json!(u64::MAX),
        json!(u64::MAX - 1),
        json!(i64::MIN),
        json!(u32::MAX),
        json!(u64::from(u32::MAX) + 1),
        json!(""),
        json!("ns"),
        json!("\u{0}"),
        json!("🦀"),
        json!("x".repeat(5000)),
        json!([]),
        json!({}),
        json!([0]),
        json!([-1.0]),
        json!([1e308, 1e308]),
        json!([u64::MAX, 2]),
        json!({ "a": 1 }),
    ]
}

fn value_mutation() -> impl Strategy<Value = ValueMutation> {
    let edit = prop_oneof![
        6 => any::<Index>().prop_map(ValueEdit::Replace),
        3 => Just(ValueEdit::Remove),
        1 => Just(ValueEdit::DuplicateElement),
        1 => (0usize..20_000, prop_oneof![Just(0.0), Just(1.0), Just(-1.0), Just(1e300)])
            .prop_map(|(len, v)| ValueEdit::LongArray(len, v)),
    ];
    (
        any::<Index>(),
        prop::collection::vec((any::<Index>(), edit), 1..4),
        any::<bool>(),
    )
        .prop_map(|(seed, edits, pretty)| ValueMutation {
            seed,
            edits,
            pretty,
        })
}

/// JSON pointers of every node under `value`, the root last.
fn pointers(value: &serde_json::Value, at: String, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, child) in map {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                pointers(child, format!("{at}/{escaped}"), out);
            }
        }
        serde_json::Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                pointers(child, format!("{at}/{index}"), out);
            }
        }
        _ => {}
    }
    out.push(at);
}

fn apply_value_edits(seed: &str, m: &ValueMutation) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_str(seed).expect("seeds are JSON");
    let nasty = nasty_values();
    for (at, edit) in &m.edits {
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        let pointer = all[at.index(all.len())].clone();
        match edit {
            ValueEdit::Replace(which) => {
                *doc.pointer_mut(&pointer).expect("a pointer just listed") =
                    nasty[which.index(nasty.len())].clone();
            }
            ValueEdit::LongArray(len, value) => {
                *doc.pointer_mut(&pointer).expect("a pointer just listed") =
                    serde_json::Value::from(vec![*value; *len]);
            }
            ValueEdit::Remove | ValueEdit::DuplicateElement => {
                let Some((parent, last)) = pointer.rsplit_once('/') else {
                    continue;
                };
                let key = last.replace("~1", "/").replace("~0", "~");
                match doc.pointer_mut(parent) {
                    Some(serde_json::Value::Object(map)) => {
                        if matches!(edit, ValueEdit::Remove) {
                            map.remove(&key);
                        }
                    }
                    Some(serde_json::Value::Array(items)) => {
                        let index: usize = key.parse().expect("an array index");
                        if matches!(edit, ValueEdit::Remove) {
                            items.remove(index);
                        } else {
                            let copy = items[index].clone();
                            items.insert(index, copy);
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    if m.pretty {
        serde_json::to_vec_pretty(&doc)
    } else {
        serde_json::to_vec(&doc)
    }
    .expect("a JSON value serialises")
}

#[derive(Debug, Clone)]
enum JsonInput {
    Value(ValueMutation),
    Text(TextInput),
}

fn json_input() -> impl Strategy<Value = JsonInput> {
    prop_oneof![
        1 => value_mutation().prop_map(JsonInput::Value),
        1 => text_input().prop_map(JsonInput::Text),
    ]
}

impl Material {
    fn json_bytes(&self, input: &JsonInput) -> Vec<u8> {
        match input {
            JsonInput::Value(m) => {
                apply_value_edits(&self.seeds[m.seed.index(self.seeds.len())], m)
            }
            JsonInput::Text(t) => self.bytes(t),
        }
    }
}

// ---------------------------------------------------------------------------------------
// What errors must say.

/// The error names `path`, then its line (1-based, within the file) when `with_line`.
fn check_error(
    message: &str,
    path: &Path,
    bytes: &[u8],
    with_line: bool,
) -> Result<(), TestCaseError> {
    let prefix = format!("{}:", path.display());
    prop_assert!(
        message.starts_with(&prefix),
        "error does not start with the file name {prefix:?}: {message:?}"
    );
    let rest = &message[prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    if with_line {
        prop_assert!(
            !digits.is_empty() && rest[digits.len()..].starts_with(": "),
            "error names no line: {message:?}"
        );
    }
    if let Ok(line) = digits.parse::<usize>() {
        let lines = bytes.iter().filter(|&&b| b == b'\n').count() + 1;
        prop_assert!(
            (1..=lines).contains(&line),
            "error names line {line} of a {lines}-line file: {message:?}"
        );
    }
    Ok(())
}

/// The readers drop a leading byte-order mark (see `kcanary::text_input`).
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes)
}

/// Adds the input, as text, to a failure: proptest prints the generator's choices, which
/// say little without the material.
fn with_input(bytes: &[u8]) -> impl Fn(TestCaseError) -> TestCaseError + '_ {
    move |failure| {
        let text = String::from_utf8_lossy(bytes);
        let shown: String = text.chars().take(2000).collect();
        TestCaseError::fail(format!(
            "{failure}\ninput ({} bytes): {shown:?}",
            bytes.len()
        ))
    }
}

/// A scratch file for one reader, rewritten for every case.
fn scratch(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let path = dir.path().join(name);
    (dir, path)
}

// ---------------------------------------------------------------------------------------
// Line-based replay files: `kcanary replay` reads once, sniffs the format, parses.

const RESTORE_SEED: &str = "\
create KUBE-DST-A hash:ip family inet hashsize 1024 maxelem 65536 timeout 0
add KUBE-DST-A 10.0.0.1 timeout 0
add -exist KUBE-DST-A 10.0.0.2
create ports hash:ip,port family inet6 hashsize 64 maxelem 1024 counters comment
add ports 2001:db8::1,udp:53 packets 1 bytes 2 comment \"two words\"
create nets hash:net family inet bucketsize 12
add nets 10.1.0.0/16 nomatch
add nets 10.2.0.0-10.2.0.255
create bm bitmap:port range 0-1024
add bm 80
create bip bitmap:ip range 10.0.0.0/24 netmask 30
add bip 10.0.0.4
create marks hash:ip,mark markmask 0xffff
add marks 10.0.0.3,0x10
create macs hash:mac skbinfo
add macs 00:11:22:33:44:55
create ifs hash:net,iface forceadd
add ifs 10.0.0.0/8,eth0
create l list:set size 8
add l nets before ports
create np hash:net,port,net initval 0x1234
add np 10.0.0.0/8,tcp:80-90,192.168.0.0/16
del np 10.0.0.0/8,tcp:80-90,192.168.0.0/16
-N legacy hash:ip
-A legacy 10.9.9.9 -!
swap KUBE-DST-A legacy
rename legacy renamed
flush renamed
destroy renamed
flush
destroy
# a comment
COMMIT
";

const RESTORE_WORDS: &[&str] = &[
    "create",
    "add",
    "del",
    "swap",
    "rename",
    "flush",
    "destroy",
    "COMMIT",
    "-N",
    "-A",
    "-D",
    "-W",
    "-E",
    "-F",
    "-X",
    "n",
    "a",
    "d",
    "w",
    "e",
    "f",
    "x",
    "-exist",
    "-!",
    "hash:ip",
    "hash:ip,port,ip",
    "hash:net,iface",
    "bitmap:ip,mac",
    "bitmap:port",
    "list:set",
    "timeout",
    "nomatch",
    "comment",
    "packets",
    "bytes",
    "before",
    "after",
    "family",
    "inet6",
    "hashsize",
    "maxelem",
    "range",
    "netmask",
    "size",
    "counters",
];

const IPVS_SEED: &str = "\
-A -t 10.0.0.1:80 -s rr
-a -t 10.0.0.1:80 -r 172.16.0.1:8080 -m -w 3
-A -u 10.0.0.2:53 -s wlc -p 300 -M 255.255.255.0
-a -u 10.0.0.2:53 -r 10.1.0.2 -g -w 1 -x 100 -y 10
-A -t [2001:db8::1]:443 -s sh -b sh-fallback,sh-port -p -M 64
-a -t [2001:db8::1]:443 -r [2001:db8::2]:443 -i
-A -f 7 -6 -s mh --pe sip -o
-a -f 7 -6 -r [::1] -m
-A --sctp-service 10.0.0.3:9 --scheduler lc --persistent
-E --tcp-service 10.0.0.1:80 --scheduler wrr --sched-flags flag-1,flag-2,flag-3
-e -t 10.0.0.1:80 -r 172.16.0.1:8080 --weight 5 --masquerading
-d -t 10.0.0.1:80 -r 172.16.0.1:8080
-D -u 10.0.0.2:53
-Z -t 10.0.0.1:80
-Z
-C # flush everything
";

const IPVS_WORDS: &[&str] = &[
    "-A",
    "-E",
    "-D",
    "-a",
    "-e",
    "-d",
    "-C",
    "-Z",
    "--clear",
    "--zero",
    "-t",
    "-u",
    "-f",
    "--sctp-service",
    "-6",
    "-s",
    "-p",
    "-M",
    "-b",
    "-o",
    "--pe",
    "-r",
    "-g",
    "-i",
    "-m",
    "-w",
    "-x",
    "-y",
    "10.0.0.1:80",
    "[::1]:80",
    "[::1",
    "10.0.0.1:",
    ":80",
    "sh-port",
    "flag-4",
];

/// Reads `bytes` from `path` as `kcanary replay` does (once, bounded, then sniffing the
/// format) and checks the errors of the parser the sniffing picks and of the one the input
/// was made for (`ipvs_material`). True when that parser accepted it.
fn check_replay_file(
    path: &Path,
    bytes: &[u8],
    ipvs_material: bool,
) -> Result<bool, TestCaseError> {
    std::fs::write(path, bytes).expect("write the scratch file");
    let owned = path.to_path_buf();
    let (errors, accepted) = bounded(bytes.len(), move || {
        let text = match kcanary::text_input::read_text_once(&owned) {
            Ok(text) => text,
            Err(e) => return (vec![e.to_string()], false),
        };
        let sniffed_ipvs = kcanary::replay_file::FileFormat::detect(&text)
            == kcanary::replay_file::FileFormat::IpvsadmSave;
        let mut errors = Vec::new();
        let mut accepted = false;
        for ipvs in [sniffed_ipvs, ipvs_material] {
            let error = if ipvs {
                kcanary::ipvs::save_file::parse(&owned, &text).err()
            } else {
                kcanary::ipset::restore_file::parse(&owned, &text, false).err()
            };
            accepted = error.is_none();
            errors.extend(error.map(|e| e.to_string()));
        }
        (errors, accepted)
    })?;
    for message in &errors {
        check_error(message, path, bytes, true)?;
    }
    Ok(accepted)
}

fn restore_material() -> Material {
    Material::new(vec![RESTORE_SEED.to_string()], RESTORE_WORDS)
}

fn ipvs_material() -> Material {
    Material::new(vec![IPVS_SEED.to_string()], IPVS_WORDS)
}

#[test]
fn replay_seeds_are_valid() {
    let path = Path::new("seed");
    assert_eq!(
        kcanary::ipset::restore_file::parse(path, RESTORE_SEED, false)
            .unwrap()
            .len(),
        31
    );
    assert_eq!(
        kcanary::ipvs::save_file::parse(path, IPVS_SEED)
            .unwrap()
            .len(),
        16
    );
    assert!(kcanary::ipvs::save_file::looks_like_ipvsadm_save(IPVS_SEED));
    assert!(!kcanary::ipvs::save_file::looks_like_ipvsadm_save(
        RESTORE_SEED
    ));
}

#[test]
fn fuzz_ipset_restore_files() {
    let material = restore_material();
    let (_dir, path) = scratch("fuzz.restore");
    fuzz("ipset restore file", text_input(), |input| {
        let bytes = material.bytes(&input);
        check_replay_file(&path, &bytes, false).map_err(with_input(&bytes))
    });
}

#[test]
fn fuzz_ipvsadm_save_files() {
    let material = ipvs_material();
    let (_dir, path) = scratch("fuzz.ipvsadm");
    fuzz("ipvsadm -S file", text_input(), |input| {
        let bytes = material.bytes(&input);
        check_replay_file(&path, &bytes, true).map_err(with_input(&bytes))
    });
}

// ---------------------------------------------------------------------------------------
// Scenario TOML.

const SCENARIO_SEEDS: &[&str] = &[
    include_str!("../scenarios/ipset-create.toml"),
    include_str!("../scenarios/ipset-flush-destroy.toml"),
    include_str!("../scenarios/ipset-kube-router-sync.toml"),
    include_str!("../scenarios/ipset-list.toml"),
    include_str!("../scenarios/ipset-name-lookup.toml"),
    include_str!("../scenarios/ipset-swap-storm.toml"),
    include_str!("../scenarios/ipvs-estimator-20k.toml"),
    include_str!("../scenarios/ipvs-services-2k.toml"),
    include_str!("../scenarios/memcg-dying-1k.toml"),
    include_str!("../scenarios/memcg-dying-page-cache-1k.toml"),
    include_str!("../scenarios/probe-latency.toml"),
];

const TOML_WORDS: &[&str] = &[
    "name",
    "workload",
    "repetitions",
    "warmup",
    "threshold",
    "thresholds",
    "tags",
    "params",
    "description",
    "[params]",
    "[thresholds]",
    "[[params]]",
    "[params.x]",
    "=",
    "+1_000",
    "0b101",
    "0o777",
    "1_000_000_000_000_000_000",
    "-0.0",
    "+inf",
    "\"\\u0000\"",
    "\"\\uD800\"",
    "'''",
    "{a=1}",
    "[1,2",
    "x.y.z",
];

#[test]
fn scenario_seeds_are_valid() {
    for seed in SCENARIO_SEEDS {
        kcanary::scenario::parse_scenario(Path::new("seed.toml"), seed).unwrap();
    }
}

#[test]
fn fuzz_scenario_files() {
    let seeds = SCENARIO_SEEDS.iter().map(|s| s.to_string()).collect();
    let material = Material::new(seeds, TOML_WORDS);
    let (_dir, path) = scratch("fuzz.toml");
    fuzz("scenario TOML", text_input(), |input| {
        let bytes = material.bytes(&input);
        let error = read_file_bounded(&path, &bytes, kcanary::scenario::load_file)?;
        let Some(message) = error else {
            return Ok(true);
        };
        // A syntax error always has a line; a value that parses but is refused has one when
        // its key is written on a line of its own (not inside an inline table).
        let syntax_error = std::str::from_utf8(without_bom(&bytes))
            .ok()
            .is_some_and(|text| text.parse::<toml::Table>().is_err());
        check_error(&message, &path, &bytes, syntax_error).map_err(with_input(&bytes))?;
        Ok(false)
    });
}

// ---------------------------------------------------------------------------------------
// Results and baseline JSON, read by `check`, `compare`, `baseline`, `plot`, `bisect-step`.

fn results_seeds() -> Vec<String> {
    let mut noise = common::Noise::new(7);
    let mut per_repetition = common::metric(
        "create_ns",
        Better::Lower,
        noise.operation_samples(900.0, 3, 4),
        3,
    );
    per_repetition.sample_kind = SampleKind::PerRepetition;
    per_repetition.repetition_sizes = vec![1; 12];
    per_repetition.threshold = Some(0.1);
    per_repetition
        .parameters
        .insert("sets".into(), serde_json::json!(100));
    let throughput: MetricResult =
        common::metric("swaps_per_s", Better::Higher, vec![1.0e5, 1.1e5, 0.9e5], 3);
    let (base, _) = common::shifted_pair(3, 1.0, 3, 5);
    let run = common::run("6.1.0", vec![per_repetition, throughput]);
    let baseline = BaselineFile::from_results(&run, "fuzz", "results.json")
        .to_json_text()
        .unwrap();
    vec![
        serde_json::to_string_pretty(&run).unwrap(),
        serde_json::to_string_pretty(&base).unwrap(),
        baseline,
    ]
}

fn gate_material() -> Material {
    let mut seeds = results_seeds();
    seeds.push(include_str!("../baselines/qemu-virtual-cpu-version-2-5-2cpu/6.1.0-56-cloud-amd64/default-suite-tcg.json").to_string());
    let words = [
        "\"schema_version\":",
        "\"baseline_version\":",
        "\"kind\":",
        "\"kcanary-baseline\",",
        "\"samples\":",
        "\"repetition_sizes\":",
        "[],",
        "null,",
        "1e999,",
        "-1,",
        "18446744073709551615,",
    ];
    Material::new(seeds, &words)
}

#[test]
fn gate_seeds_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    for (index, seed) in gate_material().seeds.iter().enumerate() {
        let path = dir.path().join(format!("{index}.json"));
        std::fs::write(&path, seed).unwrap();
        kcanary::gate::load_evidence(&path).unwrap();
    }
}

/// JSON errors name the file, and the line for syntax errors (where serde_json knows it).
fn check_json_error(message: &str, path: &Path, bytes: &[u8]) -> Result<(), TestCaseError> {
    let syntax_error = serde_json::from_slice::<serde_json::Value>(without_bom(bytes)).is_err();
    check_error(message, path, bytes, syntax_error)
}

#[test]
fn fuzz_results_files() {
    let material = gate_material();
    let (_dir, path) = scratch("fuzz-results.json");
    fuzz("results JSON", json_input(), |input| {
        let bytes = material.json_bytes(&input);
        let error = read_file_bounded(&path, &bytes, kcanary::results::file::read_results)?;
        match error {
            Some(message) => check_json_error(&message, &path, &bytes)
                .map(|()| false)
                .map_err(with_input(&bytes)),
            None => Ok(true),
        }
    });
}

#[test]
fn fuzz_gate_inputs() {
    let material = gate_material();
    let (_dir, path) = scratch("fuzz-gate.json");
    fuzz(
        "results or baseline JSON (gate input)",
        json_input(),
        |input| {
            let bytes = material.json_bytes(&input);
            let error = read_file_bounded(&path, &bytes, kcanary::gate::load_evidence)?;
            match error {
                Some(message) => check_json_error(&message, &path, &bytes)
                    .map(|()| false)
                    .map_err(with_input(&bytes)),
                None => Ok(true),
            }
        },
    );
}

// ---------------------------------------------------------------------------------------
// Criterion output: `<dir>/<group>/new/sample.json` and `benchmark.json`.

const SAMPLE_SEED: &str =
    r#"{"sampling_mode":"Linear","iters":[1.0,2.0,3.0,4.0],"times":[100.0,210.0,290.0,420.0]}"#;
const BENCHMARK_SEED: &str = r#"{"group_id":"swap","function_id":"sets","value_str":"2000","throughput":null,"full_id":"swap/sets/2000","directory_name":"swap/sets_2000","title":"swap/sets/2000"}"#;

#[test]
fn criterion_seeds_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    let new = dir.path().join("swap/new");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(new.join("sample.json"), SAMPLE_SEED).unwrap();
    std::fs::write(new.join("benchmark.json"), BENCHMARK_SEED).unwrap();
    let run = kcanary::results::criterion::import_criterion(dir.path(), "new", Default::default())
        .unwrap();
    assert_eq!(run.results[0].samples.len(), 4);
}

#[test]
fn fuzz_criterion_output() {
    let samples = Material::new(vec![SAMPLE_SEED.to_string()], &["\"iters\":", "\"times\":"]);
    let benchmarks = Material::new(vec![BENCHMARK_SEED.to_string()], &["\"group_id\":"]);
    let dir = tempfile::tempdir().expect("a scratch directory");
    let root = dir.path().to_path_buf();
    let new = root.join("swap/new");
    std::fs::create_dir_all(&new).expect("a criterion layout");
    let strategy = (json_input(), prop::option::weighted(0.8, json_input()));
    fuzz(
        "criterion sample.json + benchmark.json",
        strategy,
        |(sample, benchmark)| {
            let sample = samples.json_bytes(&sample);
            let benchmark = benchmark.map(|b| benchmarks.json_bytes(&b));
            std::fs::write(new.join("sample.json"), &sample).expect("write sample.json");
            let _ = std::fs::remove_file(new.join("benchmark.json"));
            if let Some(benchmark) = &benchmark {
                std::fs::write(new.join("benchmark.json"), benchmark)
                    .expect("write benchmark.json");
            }
            let len = sample.len() + benchmark.as_ref().map_or(0, Vec::len);
            let owned = root.clone();
            let error = bounded(len, move || {
                let dirs = [owned.as_path(), owned.as_path()];
                let one = kcanary::results::criterion::import_criterion(
                    &owned,
                    "new",
                    Default::default(),
                );
                let two = kcanary::results::criterion::import_criterion_runs(
                    &dirs,
                    "new",
                    Default::default(),
                );
                assert_eq!(
                    one.is_ok(),
                    two.is_ok(),
                    "one directory or two, the same files"
                );
                one.err().map(|e| e.to_string())
            })
            .map_err(with_input(&sample))?;
            let Some(message) = error else {
                return Ok(true);
            };
            // The error names the file it is about; its line when that file is not JSON.
            let (path, bytes) =
                if message.starts_with(&new.join("benchmark.json").display().to_string()) {
                    (new.join("benchmark.json"), benchmark.unwrap_or_default())
                } else {
                    (new.join("sample.json"), sample)
                };
            check_json_error(&message, &path, &bytes).map_err(with_input(&bytes))?;
            Ok(false)
        },
    );
}
