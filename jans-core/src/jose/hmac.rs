//! placeholder, filled in on the jose branch
