//! The embedded font. plotters' ab_glyph backend finds fonts only by registered name, so
//! "sans-serif" is registered once with DejaVu Sans (licence: assets/DejaVuSans-LICENSE.txt).

use crate::error::KcanaryError;
use plotters::style::{FontStyle, register_font};
use std::sync::OnceLock;

static DEJAVU_SANS: &[u8] = include_bytes!("../../../assets/DejaVuSans.ttf");

pub const FAMILY: &str = "sans-serif";

pub fn register() -> Result<(), KcanaryError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok =
        *REGISTERED.get_or_init(|| register_font(FAMILY, FontStyle::Normal, DEJAVU_SANS).is_ok());
    if ok {
        Ok(())
    } else {
        Err(KcanaryError::Io(
            "the embedded font could not be loaded".into(),
        ))
    }
}
