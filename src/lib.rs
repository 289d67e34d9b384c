pub mod condition;
pub mod json;
pub mod policy;
pub mod request;
pub mod suggest;
pub mod wildcard;
