use kcanary::error::Result;
pub fn execute(_args: crate::cli::RunArgs) -> Result<i32> {
    todo!()
}
