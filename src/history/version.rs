//! Orders kernel releases the way people read them: "6.1.0-9-cloud-amd64" before
//! "6.1.0-51-cloud-amd64", "6.12.9" before "6.12.117". Digit runs compare as numbers, other
//! characters as text (the rule of `sort -V` for these strings). Debian's ABI number
//! (`-51`) is part of the release, so its point releases sort in publication order.

use std::cmp::Ordering;

/// A release string cut into digit runs and the text between them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReleaseKey(Vec<Piece>);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Piece {
    // Numbers sort before text at the same position: "6.1.0-51" < "6.1.0-rc".
    Number(u128),
    Text(String),
}

impl ReleaseKey {
    pub fn of(release: &str) -> ReleaseKey {
        let mut pieces = Vec::new();
        let mut rest = release;
        while let Some(first) = rest.chars().next() {
            let is_digit = first.is_ascii_digit();
            let end = rest
                .find(|c: char| c.is_ascii_digit() != is_digit)
                .unwrap_or(rest.len());
            let (run, tail) = rest.split_at(end);
            pieces.push(match run.parse::<u128>() {
                Ok(n) if is_digit => Piece::Number(n),
                _ => Piece::Text(run.to_string()),
            });
            rest = tail;
        }
        ReleaseKey(pieces)
    }
}

impl Ord for ReleaseKey {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl PartialOrd for ReleaseKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(mut releases: Vec<&str>) -> Vec<&str> {
        releases.sort_by_key(|r| ReleaseKey::of(r));
        releases
    }

    #[test]
    fn debian_abi_numbers_sort_as_numbers() {
        assert_eq!(
            sorted(vec![
                "6.1.0-51-cloud-amd64",
                "6.1.0-9-cloud-amd64",
                "6.1.0-100-cloud-amd64"
            ]),
            vec![
                "6.1.0-9-cloud-amd64",
                "6.1.0-51-cloud-amd64",
                "6.1.0-100-cloud-amd64"
            ]
        );
    }

    #[test]
    fn series_sort_before_their_successors() {
        assert_eq!(
            sorted(vec![
                "6.12.117+deb12-cloud-amd64",
                "6.12.9+deb12-cloud-amd64",
                "6.1.0-57-cloud-amd64"
            ]),
            vec![
                "6.1.0-57-cloud-amd64",
                "6.12.9+deb12-cloud-amd64",
                "6.12.117+deb12-cloud-amd64"
            ]
        );
    }

    #[test]
    fn huge_digit_runs_do_not_panic() {
        let long = "9".repeat(60);
        assert!(ReleaseKey::of(&long) > ReleaseKey::of("1"));
    }
}
