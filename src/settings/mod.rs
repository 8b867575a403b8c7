//! The settings area: its layout with navigation, and the security overview.

pub mod view;
