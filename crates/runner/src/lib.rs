//! captest runner.
