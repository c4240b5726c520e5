use kcanary::error::Result;
pub fn execute(_args: crate::cli::ReplayArgs) -> Result<i32> {
    todo!()
}
