use kcanary::error::Result;
pub fn execute(_args: crate::cli::ListArgs) -> Result<i32> {
    todo!()
}
