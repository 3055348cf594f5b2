//! Components take plain values as props and make no server calls; pages own the data.

pub mod amend_form;
pub mod audit_table;
pub mod brief_editor;
pub mod brief_view;
pub mod calculator;
pub mod calendar_link;
pub mod card;
pub mod charts;
pub mod close_form;
pub mod error_view;
pub mod fields;
pub mod format;
pub mod interval_plot;
pub mod layout;
pub mod manual_entry;
pub mod metric_row;
pub mod pre_period_panel;
pub mod program_discipline;
pub mod program_sections;
pub mod pull_panel;
pub mod results_panel;
pub mod review_sections;
pub mod segment_tables;
pub mod sign_offs;
pub mod upload_form;
