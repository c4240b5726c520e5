//! Inputs that the property tests of `tests/parsers_fuzz.rs` found to break a reader, each
//! with the reader's expected answer (the fuzz run does not persist failures: these are
//! its regression cases, with names that say what went wrong).

mod common;

/// The JSON and TOML readers used `read_to_string`: invalid UTF-8 was "cannot read: stream
/// did not contain valid UTF-8", naming no line.
#[test]
fn invalid_utf8_in_json_and_toml_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.json");
    std::fs::write(&path, b"{\n  \"kind\": \"\xff\"\n}\n").unwrap();
    let expected = format!("{}:2: not UTF-8 text", path.display());
    let results = kcanary::results::file::read_results(&path).unwrap_err();
    assert_eq!(results.to_string(), expected);
    let gate = kcanary::gate::load_evidence(&path).err().unwrap();
    assert_eq!(gate.to_string(), expected);
    let toml = dir.path().join("bad.toml");
    std::fs::write(&toml, b"name = \"x\"\nworkload = \"\xff\"\n").unwrap();
    let scenario = kcanary::scenario::load_file(&toml).err().unwrap();
    assert_eq!(
        scenario.to_string(),
        format!("{}:2: not UTF-8 text", toml.display())
    );
    let new = dir.path().join("g/new");
    std::fs::create_dir_all(&new).unwrap();
    std::fs::write(
        new.join("sample.json"),
        b"{\"iters\": [1.0],\n\"times\": [\xff]}",
    )
    .unwrap();
    let criterion =
        kcanary::results::criterion::import_criterion(dir.path(), "new", Default::default())
            .unwrap_err();
    let sample = new.join("sample.json");
    assert_eq!(
        criterion.to_string(),
        format!("{}:2: not UTF-8 text", sample.display())
    );
}

/// ... and read without a size limit: `kcanary compare /dev/zero x` or `kcanary run
/// /dev/zero` took all the memory it could get before failing ("cannot read: out of
/// memory"). Run under a 2 GiB address-space limit, so that failure does not take the
/// machine's memory.
#[test]
fn json_and_toml_readers_stop_at_the_size_limit() {
    for args in [
        &["compare", "/dev/zero", "/dev/zero"][..],
        &["run", "/dev/zero"],
    ] {
        let output = std::process::Command::new("sh")
            .arg("-c")
            .arg("ulimit -v 2097152 && exec \"$0\" \"$@\"")
            .arg(env!("CARGO_BIN_EXE_kcanary"))
            .args(args)
            .output()
            .expect("run kcanary under sh");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(
            stderr.contains("/dev/zero: input larger than 256 MiB"),
            "{args:?}: {stderr}"
        );
    }
}

/// `repetition_sizes` that add up to the number of samples only by wrapping around
/// (`u64::MAX` plus 2 is 1 in a release build) passed validation, and slicing the samples by
/// them panicked; in a debug build, adding them did.
#[test]
fn repetition_sizes_that_overflow_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wrapped.json");
    let mut run = serde_json::to_value(common::run(
        "6.1.0",
        vec![common::metric(
            "swap_ns",
            kcanary::results::Better::Lower,
            vec![5.0],
            1,
        )],
    ))
    .unwrap();
    run["results"][0]["repetition_sizes"] = serde_json::json!([u64::MAX, 2]);
    std::fs::write(&path, run.to_string()).unwrap();
    let error = kcanary::gate::load_evidence(&path)
        .err()
        .unwrap()
        .to_string();
    assert!(
        error.starts_with(&format!(
            "{}: synthetic/swap_ns: repetition_sizes",
            path.display()
        )),
        "{error}"
    );
}
