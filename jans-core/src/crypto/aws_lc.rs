//! placeholder, filled in on the jose branch
#[derive(Debug)]
pub struct AwsLcProvider;
