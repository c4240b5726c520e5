//! How numbers and tables look to a reader: one value formatter and one column renderer,
//! shared by the run table (`report::table`), the comparison tables (`report::export`) and
//! the plots' axis labels, so the same value reads the same everywhere.

/// A value of `unit`, compactly: nanoseconds become µs/ms/s; whole counts lose the decimals.
pub fn value(value: f64, unit: &str) -> String {
    if unit != "ns" {
        return if value.fract() == 0.0 && value.abs() < 1e15 {
            format!("{value:.0} {unit}")
        } else {
            format!("{value:.3} {unit}")
        };
    }
    let abs = value.abs();
    if abs >= 1e9 {
        format!("{:.3} s", value / 1e9)
    } else if abs >= 1e6 {
        format!("{:.2} ms", value / 1e6)
    } else if abs >= 1e3 {
        format!("{:.2} µs", value / 1e3)
    } else {
        format!("{value:.0} ns")
    }
}

/// A candidate/baseline ratio: "1.234x". Ratios near 1 need decimals; a 1000x regression
/// does not.
pub fn ratio(ratio: f64) -> String {
    if ratio >= 100.0 {
        format!("{ratio:.0}x")
    } else if ratio >= 10.0 {
        format!("{ratio:.1}x")
    } else {
        format!("{ratio:.3}x")
    }
}

/// A change in events per repetition, always signed: "+5", "-0.5", "+0".
pub fn difference(difference: f64) -> String {
    let sign = if difference < 0.0 { "-" } else { "+" };
    let magnitude = difference.abs();
    if magnitude == magnitude.round() {
        format!("{sign}{magnitude:.0}")
    } else {
        format!("{sign}{magnitude:.1}")
    }
}

/// Cells under a header. Every row has as many cells as the header; the first cell names
/// the row, the others hold values.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// Plain text for a terminal: columns two spaces apart, the names left-aligned and the
    /// values right-aligned so that their units line up. Widths count characters, not bytes
    /// ("µs" is two wide), and no line ends in whitespace.
    pub fn aligned(&self) -> String {
        let width = |cell: &String| cell.chars().count();
        let mut widths: Vec<usize> = self.header.iter().map(width).collect();
        for row in &self.rows {
            for (column, cell) in widths.iter_mut().zip(row) {
                *column = (*column).max(width(cell));
            }
        }
        let mut out = String::new();
        for row in std::iter::once(&self.header).chain(&self.rows) {
            let mut line = String::new();
            for (i, (cell, &column)) in row.iter().zip(&widths).enumerate() {
                let pad = " ".repeat(column - width(cell));
                if i == 0 {
                    line.push_str(cell);
                    line.push_str(&pad);
                } else {
                    line.push_str("  ");
                    line.push_str(&pad);
                    line.push_str(cell);
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nanoseconds_scale_to_the_largest_unit_that_fits() {
        assert_eq!(value(999.0, "ns"), "999 ns");
        assert_eq!(value(1_500.0, "ns"), "1.50 µs");
        assert_eq!(value(2_500_000.0, "ns"), "2.50 ms");
        assert_eq!(value(3.0e9, "ns"), "3.000 s");
        assert_eq!(value(12.0, "cgroups"), "12 cgroups");
        assert_eq!(value(0.5, "cgroups"), "0.500 cgroups");
    }

    #[test]
    fn ratios_lose_decimals_as_they_grow_and_differences_keep_their_sign() {
        assert_eq!(ratio(1.0), "1.000x");
        assert_eq!(ratio(50.0), "50.0x");
        assert_eq!(ratio(1234.0), "1234x");
        assert_eq!(difference(0.0), "+0");
        assert_eq!(difference(5.0), "+5");
        assert_eq!(difference(-0.5), "-0.5");
    }

    #[test]
    fn columns_align_by_characters_and_lines_carry_no_trailing_space() {
        let table = Table {
            header: vec!["name".into(), "value".into()],
            rows: vec![
                vec!["a".into(), "1.50 µs".into()],
                vec!["longer".into(), "".into()],
            ],
        };
        assert_eq!(
            table.aligned(),
            "name      value\na       1.50 µs\nlonger\n"
        );
    }
}
