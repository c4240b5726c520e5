//! Which format a replay file is in, decided on the text read once (see `text_input`).

use crate::ipvs::save_file::looks_like_ipvsadm_save;

/// The file formats `kcanary replay` knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// What `ipset save` writes and `ipset restore` reads (also the legacy `-N`/`-A` syntax).
    IpsetRestore,
    /// What `ipvsadm -S` writes and `ipvsadm -R` reads.
    IpvsadmSave,
}

impl FileFormat {
    /// The format of `text`. An ipvsadm file starts with an ipvsadm command followed by a
    /// service option (`-A -t ...`), where ipset's legacy `-A set entry` has a set name; anything
    /// else is taken as an ipset file, whose parser then names the first line it cannot read.
    pub fn detect(text: &str) -> FileFormat {
        if looks_like_ipvsadm_save(text) {
            FileFormat::IpvsadmSave
        } else {
            FileFormat::IpsetRestore
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FileFormat::{self, IpsetRestore, IpvsadmSave};

    #[test]
    fn ipset_files_in_both_syntaxes() {
        for text in [
            "create A hash:ip family inet\nadd A 10.0.0.1\nCOMMIT\n",
            "-N A iphash\n-A A 10.0.0.1\n",
            "-A A 10.0.0.1\n",
            "# ipset save\n\nswap A B\n",
        ] {
            assert_eq!(FileFormat::detect(text), IpsetRestore, "{text}");
        }
    }

    #[test]
    fn ipvsadm_files_by_their_first_command() {
        for text in [
            "-A -t 10.0.0.1:80 -s rr\n-a -t 10.0.0.1:80 -r 10.1.0.1:80 -m -w 1\n",
            "# saved\n\n-A -u 10.0.0.1:53 -s wlc\n",
            "-A -f 7 -s rr\n",
            "-a --tcp-service 10.0.0.1:80 -r 10.1.0.1:80\n",
            "-C\n-A -t 10.0.0.1:80\n",
            "-Z\n",
            "-Z -t 10.0.0.1:80\n",
        ] {
            assert_eq!(FileFormat::detect(text), IpvsadmSave, "{text}");
        }
    }

    #[test]
    fn text_without_commands_is_left_to_the_ipset_parser() {
        // The ipset parser reports "no ipset commands in the file" for these.
        for text in ["", "\n\n", "# only a comment\n"] {
            assert_eq!(FileFormat::detect(text), IpsetRestore, "{text:?}");
        }
    }
}
